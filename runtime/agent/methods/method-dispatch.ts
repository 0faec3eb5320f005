import { describeError } from '../../errors.js';
import type { AgentMethodContext, AgentMethodHandler, AgentMethodResult, AgentMethodTable } from './agent-method.js';
import { MethodRequestError } from './method-request.js';

/** edgeAgent's spelling of its request names, for the "supported commands" list. */
const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  ping: 'ping',
  restartmodule: 'RestartModule',
  getmodulelogs: 'GetModuleLogs',
  uploadmodulelogs: 'UploadModuleLogs',
  uploadsupportbundle: 'UploadSupportBundle',
  gettaskstatus: 'GetTaskStatus',
};

export interface AgentMethodDispatch {
  /** The registered method names as edgeAgent spells them. */
  readonly names: readonly string[];
  /** Runs a method by name (case-insensitive) and always answers; it never throws. */
  invoke(name: string, payload: unknown, ctx: AgentMethodContext): Promise<AgentMethodResult>;
}

/**
 * One dispatcher over handler tables (the built-in ones and any others plugged in, e.g. the
 * uploads), as edgeAgent's `RequestManager` (Azure/iotedge
 * `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/requests/RequestManager.cs`): names match
 * case-insensitively; an unknown name is 400 `{"message":"Command '<name>' not found. The supported
 * commands are - a,b,…"}`; a refused request (MethodRequestError) 400 `{"message"}`; any other
 * failure 500 `{"message"}`. A name registered twice is a wiring bug and throws here.
 */
export function createAgentMethodDispatch(tables: readonly AgentMethodTable[]): AgentMethodDispatch {
  const handlers = new Map<string, AgentMethodHandler>();
  for (const table of tables) {
    for (const [key, handler] of Object.entries(table)) {
      const name = key.toLowerCase();
      if (handlers.has(name)) throw new Error(`agent method ${key} is registered twice`);
      handlers.set(name, handler);
    }
  }
  const names = [...handlers.keys()].map((n) => DISPLAY_NAMES[n] ?? n);
  return {
    names,
    async invoke(name, payload, ctx) {
      const handler = handlers.get(name.toLowerCase());
      if (!handler) return { status: 400, payload: { message: `Command '${name}' not found. The supported commands are - ${names.join(',')}` } };
      try {
        ctx.logger.info({ method: name }, `Received request ${name}`);
        const result = await handler(payload, ctx);
        ctx.logger.info({ method: name, status: result.status }, `Successfully handled request ${name}`);
        return result;
      } catch (error) {
        const status = error instanceof MethodRequestError ? 400 : 500;
        ctx.logger.warn({ method: name, status, err: describeError(error) }, `Error handling request ${name}`);
        return { status, payload: { message: describeError(error) } };
      }
    },
  };
}
