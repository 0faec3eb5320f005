import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { ModuleLogQuery, ModuleLogText } from '../module-log.js';

/**
 * A direct method's answer as IoT Hub returns it to the caller: an HTTP-like status and a JSON
 * payload (absent = no payload). edgeAgent answers 200 on success, 400 for a request it refuses
 * and 500 for a failure (Azure/iotedge `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/requests/RequestManager.cs`).
 */
export interface AgentMethodResult {
  status: number;
  payload?: unknown;
}

export type { ModuleLogQuery, ModuleLogText } from '../module-log.js';

/** What every edgeAgent method handler may use; the agent host builds one per device. */
export interface AgentMethodContext {
  deviceId: string;
  clock: Clock;
  logger: Logger;
  /** The module names of the device's current deployment, as written in the manifest. */
  moduleNames(): Promise<string[]>;
  /**
   * A module's log from the cluster. Throws an `EdgemuError` when the module has no log to give
   * (not deployed, on the simulated pool, pod not started) with a message that says why.
   */
  readModuleLog(moduleId: string, query: ModuleLogQuery): Promise<ModuleLogText>;
  /** The hub's host name (the `iothub` field of JSON log messages); default: unknown. */
  iotHubName?: string;
  /**
   * Restarts a module's container (on Kubernetes: a new pod). Throws `MethodFailedError` with
   * edgeAgent's wording when the module is not deployed or not running. Absent: RestartModule
   * answers 500.
   */
  restartModule?(moduleId: string): Promise<void>;
}

/** One edgeAgent direct method: takes the request payload (parsed JSON or null) and answers. */
export type AgentMethodHandler = (payload: unknown, ctx: AgentMethodContext) => Promise<AgentMethodResult>;

/** Handlers by method name in lower case (edgeAgent matches names case-insensitively). */
export type AgentMethodTable = Readonly<Record<string, AgentMethodHandler>>;
