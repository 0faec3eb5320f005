/**
 * IoT Hub's limits on twin documents, one copy for the manifest validator, the hub's reported
 * patches and the service API's twin writes. Sources: learn.microsoft.com/azure/iot-hub/iot-hub-devguide-device-twins
 * ("Tags and properties format", "Device twin size") and edgeHub's
 * edge-hub/core/src/Microsoft.Azure.Devices.Edge.Hub.Core/twin/ReportedPropertiesValidator.cs.
 * Where the sources leave room, the choice is written down in docs/hub.md ("Twin rules").
 */

/** The three sections of a twin a client or the service can write. */
export type TwinSectionKind = 'tags' | 'desired' | 'reported';

/** Serialized size limit per section: 8 KB for tags, 32 KB each for desired and reported. */
export const TWIN_SECTION_MAX_BYTES: Readonly<Record<TwinSectionKind, number>> = { tags: 8 * 1024, desired: 32 * 1024, reported: 32 * 1024 };
/** Keys are at most 1 KB of UTF-8. */
export const TWIN_KEY_MAX_BYTES = 1024;
/** String values are at most 4 KB of UTF-8. */
export const TWIN_STRING_MAX_BYTES = 4 * 1024;
/** At most 10 levels of objects below the section (arrays do not count). */
export const TWIN_MAX_DEPTH = 10;
/**
 * Nesting of any kind (arrays included) stops here: not an IoT Hub rule but a guard against
 * hostile input, so that no check (nor JSON.stringify) recurses until the stack overflows.
 */
export const TWIN_MAX_NESTING = 100;
/** Integers are limited to −2^52 … 2^52−1 (−4503599627370496 … 4503599627370495). */
export const TWIN_INTEGER_MIN = -(2 ** 52);
export const TWIN_INTEGER_MAX = 2 ** 52 - 1;
