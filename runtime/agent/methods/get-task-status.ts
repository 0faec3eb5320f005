import type { AgentMethodHandler } from './agent-method.js';
import type { TaskRegistry } from './task-registry.js';
import { parseTaskStatusRequest } from './upload-request.js';

/**
 * `GetTaskStatus {"schemaVersion": "1.0", "correlationId": "<id>"}` → 200
 * `{status, message, correlationId}`; an id this device never started, or one forgotten, is
 * `Unknown` (Azure/iotedge `requests/TaskStatusRequestHandler.cs`).
 */
export function getTaskStatusHandler(deps: { tasks: TaskRegistry }): AgentMethodHandler {
  return async (payload, ctx) => {
    const request = parseTaskStatusRequest(payload);
    return { status: 200, payload: deps.tasks.status(ctx.deviceId, request.correlationId) };
  };
}
