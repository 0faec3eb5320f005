import type { MethodResult } from '../hub/index.js';

/** edgeHub's one direct method (Azure/iotedge `edge-hub/core/src/Microsoft.Azure.Devices.Edge.Hub.Core/Constants.cs`). */
export const REFRESH_IDENTITY_CACHE = 'RefreshDeviceScopeIdentityCache';

/** At most this many device ids in one refresh request (a guard, far above any real device scope). */
export const MAX_REFRESH_DEVICE_IDS = 1000;

/** What the refresh needs from the hub; edgemu's hub reads its registry on every authentication, so the default does nothing. */
export interface EdgeHubMethodDeps {
  refreshIdentities?(deviceIds: readonly string[]): void;
}

/**
 * A direct method call to `<device>/$edgeHub`, answered as edgeHub answers it
 * (Azure/iotedge `edge-hub/core/src/Microsoft.Azure.Devices.Edge.Hub.Core/EdgeHubConnection.cs`,
 * `HandleMethodInvocation`): `RefreshDeviceScopeIdentityCache {"deviceIds": [...]}` (name matched
 * case-insensitively) → 200 with no payload; a payload that is not that shape → 400; any other
 * method → 404 "Method <name> is not supported". Pure: the payload is the parsed JSON.
 */
export function answerEdgeHubMethod(methodName: string, payload: unknown, deps: EdgeHubMethodDeps = {}): MethodResult {
  if (methodName.toLowerCase() !== REFRESH_IDENTITY_CACHE.toLowerCase()) {
    return { status: 404, payload: { message: `Method ${methodName} is not supported` } };
  }
  const problem = refreshRequestProblem(payload);
  if (problem) return { status: 400, payload: { message: `Error parsing ${REFRESH_IDENTITY_CACHE} request: ${problem}` } };
  const deviceIds = (payload as { deviceIds: string[] }).deviceIds;
  try {
    deps.refreshIdentities?.(deviceIds);
  } catch (error) {
    return { status: 500, payload: { message: error instanceof Error ? error.message : String(error) } };
  }
  return { status: 200, payload: null };
}

function refreshRequestProblem(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return 'the payload must be a JSON object {"deviceIds": ["<device id>", ...]}';
  const ids = (payload as { deviceIds?: unknown }).deviceIds;
  if (ids === undefined || ids === null) return 'field "deviceIds" is missing; give an array of device ids';
  if (!Array.isArray(ids)) return 'field "deviceIds" must be an array of device ids';
  if (ids.length > MAX_REFRESH_DEVICE_IDS) return `field "deviceIds" has ${ids.length} entries; at most ${MAX_REFRESH_DEVICE_IDS}`;
  const bad = ids.findIndex((id) => typeof id !== 'string' || id.trim() === '');
  if (bad >= 0) return `field "deviceIds[${bad}]" must be a non-empty string`;
  return undefined;
}
