import { EdgemuError } from '../errors.js';
import type { EdgeAgentConfig, ValidationResult } from '../manifest/index.js';
import type { CommandFactory } from './command.js';
import type { JsonObject } from './reported-state.js';
import type { CurrentState } from './runtime-info.js';

/** The `$edgeAgent` desired properties as read from the twin, before validation. */
export interface DesiredDocument {
  /** Desired `$version` (IoT Hub increments it on every desired change). */
  version: number | undefined;
  /** The desired properties without `$version`/`$metadata`. */
  desired: Record<string, unknown>;
}

/**
 * Where the deployment comes from (IoT Edge `IConfigSource`): the `$edgeAgent` twin over MQTT
 * in production, an in-memory value in tests. Throws when the source cannot be read.
 */
export interface ConfigSource {
  getDesired(signal: AbortSignal): Promise<DesiredDocument>;
  /** Calls `listener` when the desired state may have changed (a patch, a reconnect); returns an unsubscribe. */
  onChange?(listener: (reason: string) => void): () => void;
}

/**
 * Current reality and the way to change it (IoT Edge `IEnvironment` + `ICommandFactory`): the
 * Kubernetes namespace of one edge device. `readCurrent` throws when the environment cannot be
 * read (e.g. the API server is down).
 */
export interface Environment {
  readCurrent(signal: AbortSignal): Promise<CurrentState>;
  commandFactory(config: EdgeAgentConfig): CommandFactory;
}

/**
 * Where reported properties go (IoT Edge `IReporter`): the `$edgeAgent` twin. `report` sends a
 * reported-property patch; `readReported` returns what the twin currently holds so a restarted
 * agent only sends the difference. `report` throws `ReportTooLargeError` when the patch would
 * make the reported section larger than IoT Hub allows (runtime/twin), so the agent can send less.
 */
export interface Reporter {
  readReported(signal: AbortSignal): Promise<JsonObject | undefined>;
  report(patch: JsonObject, signal: AbortSignal): Promise<void>;
}

/** A reported patch refused because the `$edgeAgent` reported section would exceed IoT Hub's 32 KB. */
export class ReportTooLargeError extends EdgemuError {
  static readonly CODE = 'AGENT_REPORT_TOO_LARGE';

  constructor(message: string) {
    super(ReportTooLargeError.CODE, message);
  }

  override get name(): string {
    return 'ReportTooLargeError';
  }
}

/** The validator for `$edgeAgent` desired properties (runtime/manifest `validateEdgeAgentDesired`). */
export type ValidateAgentDesired = (desired: unknown) => ValidationResult<EdgeAgentConfig>;
