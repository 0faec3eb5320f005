import { EdgemuError } from '../errors.js';

/**
 * Stable codes of the hub's deliberate failures. Callers (CLI, service API, tests) branch on
 * `code`; `status` is the HTTP-style status IoT Hub would answer with.
 */
export type HubErrorCode =
  | 'HUB_INVALID_ID'
  | 'HUB_DEVICE_NOT_FOUND'
  | 'HUB_MODULE_NOT_FOUND'
  | 'HUB_DEVICE_EXISTS'
  | 'HUB_MODULE_EXISTS'
  | 'HUB_INVALID_TWIN'
  | 'HUB_PRECONDITION_FAILED'
  | 'HUB_INVALID_CONNECTION_STRING'
  | 'HUB_INVALID_SAS'
  | 'HUB_MESSAGE_TOO_LARGE'
  | 'HUB_QUEUE_FULL'
  | 'HUB_THROTTLED'
  | 'HUB_NOT_CONNECTED'
  | 'HUB_STORE'
  | 'HUB_TLS'
  | 'HUB_LISTEN';

const STATUS: Record<HubErrorCode, number> = {
  HUB_INVALID_ID: 400,
  HUB_DEVICE_NOT_FOUND: 404,
  HUB_MODULE_NOT_FOUND: 404,
  HUB_DEVICE_EXISTS: 409,
  HUB_MODULE_EXISTS: 409,
  HUB_INVALID_TWIN: 400,
  HUB_PRECONDITION_FAILED: 412,
  HUB_INVALID_CONNECTION_STRING: 400,
  HUB_INVALID_SAS: 401,
  HUB_MESSAGE_TOO_LARGE: 413,
  HUB_QUEUE_FULL: 403,
  HUB_THROTTLED: 429,
  HUB_NOT_CONNECTED: 404,
  HUB_STORE: 500,
  HUB_TLS: 500,
  HUB_LISTEN: 500,
};

/** A deliberate hub failure with IoT Hub's HTTP-style status (used by the service API as-is). */
export class HubError extends EdgemuError {
  override readonly code: HubErrorCode;
  readonly status: number;

  constructor(code: HubErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.code = code;
    this.status = STATUS[code];
  }

  override get name(): string {
    return 'HubError';
  }
}
