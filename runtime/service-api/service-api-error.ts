import { EdgemuError } from '../errors.js';

/**
 * IoT Hub's error codes as they appear in the `ErrorCode:<Code>;<text>` error body. The
 * azure-iothub SDK (`RestApiClient.translateError`) maps the HTTP status to a typed error
 * and, for 404, also branches on the code (`DeviceNotFound` → `DeviceNotFoundError`).
 */
export type IotHubErrorCode =
  | 'ArgumentInvalid'
  | 'InvalidProtocolVersion'
  | 'IotHubUnauthorizedAccess'
  | 'DeviceNotFound'
  | 'ModuleNotFound'
  | 'ConfigurationNotFound'
  | 'IotHubQuotaExceeded'
  | 'DeviceNotOnline'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'DeviceAlreadyExists'
  | 'ModuleAlreadyExistsOnDevice'
  | 'ConfigurationAlreadyExists'
  | 'PreconditionFailed'
  | 'DeviceMaximumQueueDepthExceeded'
  | 'MessageTooLarge'
  | 'RequestTimedOut'
  | 'GatewayTimeout'
  | 'ServerError'
  | 'ServiceUnavailable'
  | 'ThrottlingException'
  | 'UnsupportedMediaType';

/**
 * A refusal of a service API request: the HTTP status plus IoT Hub's error code. Thrown by
 * handlers and turned into `{"Message":"ErrorCode:<Code>;<text>"}` by the server, so the
 * real SDK raises the same typed error it raises against Azure.
 */
export class ServiceApiError extends EdgemuError {
  readonly status: number;
  readonly errorCode: IotHubErrorCode;

  constructor(status: number, errorCode: IotHubErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(`SERVICE_API_${errorCode.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`, message, options);
    this.status = status;
    this.errorCode = errorCode;
  }

  override get name(): string {
    return 'ServiceApiError';
  }
}

/** Constructors for the refusals the API uses, with IoT Hub's status/code pairs. */
export const apiErrors = {
  badRequest: (message: string, details?: Record<string, unknown>) =>
    new ServiceApiError(400, 'ArgumentInvalid', message, details === undefined ? {} : { details }),
  badApiVersion: (message: string) => new ServiceApiError(400, 'InvalidProtocolVersion', message),
  unauthorized: (message: string) => new ServiceApiError(401, 'IotHubUnauthorizedAccess', message),
  deviceNotFound: (deviceId: string) => new ServiceApiError(404, 'DeviceNotFound', `Device ${deviceId} not found.`),
  moduleNotFound: (deviceId: string, moduleId: string) =>
    new ServiceApiError(404, 'ModuleNotFound', `Module ${moduleId} on device ${deviceId} not found.`),
  configurationNotFound: (id: string) => new ServiceApiError(404, 'ConfigurationNotFound', `Configuration ${id} not found.`),
  quotaExceeded: (message: string) => new ServiceApiError(403, 'IotHubQuotaExceeded', message),
  notOnline: (target: string) => new ServiceApiError(404, 'DeviceNotOnline', `${target} is not connected.`),
  notFound: (message: string) => new ServiceApiError(404, 'NotFound', message),
  methodNotAllowed: (method: string, path: string) => new ServiceApiError(405, 'MethodNotAllowed', `${method} is not allowed on ${path}.`),
  conflict: (code: 'DeviceAlreadyExists' | 'ModuleAlreadyExistsOnDevice', message: string) => new ServiceApiError(409, code, message),
  conflictConfiguration: (id: string) => new ServiceApiError(409, 'ConfigurationAlreadyExists', `Configuration ${id} already exists; update it with its ETag (If-Match).`),
  preconditionFailed: (message: string) => new ServiceApiError(412, 'PreconditionFailed', message),
  tooLarge: (limit: number) => new ServiceApiError(413, 'MessageTooLarge', `The request body exceeds ${limit} bytes.`),
  unsupportedMediaType: (message: string) => new ServiceApiError(415, 'UnsupportedMediaType', message),
  timeout: (message: string) => new ServiceApiError(504, 'GatewayTimeout', message),
  internal: (message: string) => new ServiceApiError(500, 'ServerError', message),
} as const;

/**
 * IoT Hub's error body. `Http.parseErrorBody` in the SDK splits `Message` at `;` and reads
 * the code after `ErrorCode:`, so the text must not come before the first `;`.
 */
export function formatErrorBody(errorCode: string, message: string): string {
  return JSON.stringify({ Message: `ErrorCode:${errorCode};${message}`, ExceptionMessage: '' });
}

/** Reads `{ code, message }` back from an error body (the SDK's rule); undefined when the body is not one. */
export function parseErrorBody(text: string): { code: string; message: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const raw = (parsed as { Message?: unknown }).Message;
  if (typeof raw !== 'string') return undefined;
  const sep = raw.indexOf(';');
  const head = sep < 0 ? raw : raw.slice(0, sep);
  if (!head.startsWith('ErrorCode:')) return undefined;
  return { code: head.slice('ErrorCode:'.length), message: sep < 0 ? '' : raw.slice(sep + 1) };
}
