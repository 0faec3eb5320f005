import type { AgentMethodHandler } from './agent-method.js';
import { checkSchemaVersion, MethodFailedError, MethodRequestError, requirePayloadObject, requireString } from './method-request.js';

/** Modules edgemu runs inside its own process: no container to restart. */
const SYSTEM_MODULES = new Set(['edgeagent', '$edgeagent', 'edgehub', '$edgehub']);

/** Reads a RestartModule payload `{"schemaVersion": "1.0", "id": "<module>"}`. */
export function parseRestartRequest(payload: unknown): { schemaVersion: string; id: string } {
  const body = requirePayloadObject(payload);
  const schemaVersion = checkSchemaVersion(body);
  const id = requireString(body, 'id', 'id', 256).trim();
  if (SYSTEM_MODULES.has(id.toLowerCase())) {
    throw new MethodRequestError(`id: ${id} cannot be restarted: edgeAgent and edgeHub run inside edgemu, not as containers (restart edgemu up instead)`, 'id');
  }
  return { schemaVersion, id };
}

/**
 * `RestartModule`: restarts one module's container and answers 200 without a payload once it is
 * restarted; a module that is not in the deployment → 500 "Module <id> not found in the current
 * environment", one that is not running → 500 "… cannot be restarted since it is not running"
 * (Azure/iotedge `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/requests/RestartRequestHandler.cs`).
 */
export const restartModule: AgentMethodHandler = async (payload, ctx) => {
  const { id } = parseRestartRequest(payload);
  const names = await ctx.moduleNames();
  // IoT Edge's ModuleSet lookup is by exact name.
  if (!names.includes(id)) throw new MethodFailedError(`Module ${id} not found in the current environment`);
  if (!ctx.restartModule) throw new MethodFailedError('RestartModule is not available: this agent has no container runtime to restart modules in');
  ctx.logger.info({ module: id }, `Restarting ${id}...`);
  await ctx.restartModule(id);
  ctx.logger.info({ module: id }, `Restarted ${id}`);
  return { status: 200 };
};
