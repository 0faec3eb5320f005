import { verifyPolicyToken, type Permission, type PolicyTokenContext } from '../hub/index.js';
import { apiErrors } from './service-api-error.js';

export { POLICY_PERMISSIONS, resourceCovers, type Permission } from '../hub/index.js';

/** Host names, policy keys and the time a service token is checked against. */
export type ServiceAuthOptions = PolicyTokenContext;

/**
 * Checks the `Authorization` header of a service request: a `SharedAccessSignature` signed
 * with a shared access policy key (`skn` names the policy), not expired, whose `sr` names
 * this hub (`<host>` or a path under it, e.g. `<host>/devices`), and whose policy grants
 * `permission`. Every refusal is 401 `IotHubUnauthorizedAccess`, as IoT Hub answers; the
 * message says which rule failed. Returns the policy name.
 */
export function authorizeServiceRequest(header: string | undefined, permission: Permission, requestPath: string, options: ServiceAuthOptions): string {
  if (!header) throw apiErrors.unauthorized('The Authorization header is missing; send a SharedAccessSignature.');
  const check = verifyPolicyToken(header, permission, requestPath, options);
  if (check.ok) return check.policy;
  if (check.reason === 'malformed') throw apiErrors.unauthorized('The Authorization header is not a valid SharedAccessSignature.');
  throw apiErrors.unauthorized(`${check.message.charAt(0).toUpperCase()}${check.message.slice(1)}.`);
}
