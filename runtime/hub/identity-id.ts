import { HubError } from './errors.js';

/**
 * IoT Hub's rule for device and module ids: up to 128 ASCII characters from letters, digits
 * and `-.%_*?!(),:=@$'` (learn.microsoft.com "Understand the identity registry", Device
 * identity properties). `/`, `#`, `+` and spaces can never appear, which also keeps them out
 * of MQTT topic levels.
 */
const ID_PATTERN = /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/;

/** Module ids IoT Edge reserves for its system modules (`$edgeAgent`, `$edgeHub`). */
export const SYSTEM_MODULE_IDS = ['$edgeAgent', '$edgeHub'] as const;

/** The identity a connection, twin or message belongs to: a device, or a module of a device. */
export interface IdentityRef {
  deviceId: string;
  moduleId?: string | undefined;
}

/** True when `id` is a valid IoT Hub device or module id. */
export const isValidId = (id: string): boolean => ID_PATTERN.test(id);

/** Throws HUB_INVALID_ID unless `id` is a valid device or module id. */
export function assertValidId(kind: 'device' | 'module', id: string): void {
  if (!isValidId(id)) {
    throw new HubError('HUB_INVALID_ID', `invalid ${kind} id ${JSON.stringify(id)}: 1-128 characters from A-Z a-z 0-9 -.%_*?!(),:=@$'`);
  }
}

/** The MQTT client id IoT Hub expects for an identity: `device` or `device/module` (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub). */
export const clientIdOf = (ref: IdentityRef): string => (ref.moduleId ? `${ref.deviceId}/${ref.moduleId}` : ref.deviceId);

/** Splits an MQTT client id into device and optional module id; undefined when malformed. */
export function parseClientId(clientId: string): IdentityRef | undefined {
  const parts = clientId.split('/');
  if (parts.length === 1 && isValidId(parts[0]!)) return { deviceId: parts[0]! };
  if (parts.length === 2 && isValidId(parts[0]!) && isValidId(parts[1]!)) return { deviceId: parts[0]!, moduleId: parts[1]! };
  return undefined;
}
