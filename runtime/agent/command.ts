import type { ModuleSpec } from '../manifest/index.js';
import type { AgentStopRecord } from './runtime-info.js';

/** What a plan step does; the spelling is what logs, tests and failure reports show. */
export type CommandKind = 'create' | 'update' | 'start' | 'stop' | 'remove' | 'stop-by-policy' | 'wait-ready';

/**
 * One step of a plan (IoT Edge `Agent.Core/ICommand.cs`). Commands are built by a
 * CommandFactory (the back-end seam) and run by the PlanRunner; the planner only builds them.
 * `id` is stable for the same step on the same module configuration, so the runner can keep
 * failure statistics across passes.
 */
export interface Command {
  readonly id: string;
  readonly kind: CommandKind;
  /** Names of the modules the command touches. */
  readonly modules: readonly string[];
  /**
   * Commands with the same batch that follow each other in a plan may run concurrently (IoT
   * Edge's `ParallelGroupCommand`): the planner gives every command of one startupOrder group the
   * group's batch; a `wait-ready` (no batch) is a barrier.
   */
  readonly batch?: number;
  /** `kind module…`, for logs and status descriptions. */
  describe(): string;
  execute(signal: AbortSignal): Promise<void>;
}

/**
 * The back-end seam (IoT Edge `ICommandFactory`): the Kubernetes environment implements it with
 * server-side apply; unit tests implement it with a recorder.
 */
export interface CommandFactory {
  /** Creates a module's objects (replicas 1, or 0 when its desired status is `stopped`). */
  create(module: ModuleSpec): Command;
  /** Re-applies a module whose configuration changed (a rollout). */
  update(module: ModuleSpec, current: ModuleSpec): Command;
  /** Scales a module to 1 without touching its pod template. */
  start(module: ModuleSpec): Command;
  /** Scales a module to 0 because its desired status is `stopped`. */
  stop(module: ModuleSpec): Command;
  /** Deletes every object of a module no longer desired (prune). */
  remove(module: ModuleSpec): Command;
  /** Scales a module to 0 because its restart policy says so, remembering why. */
  stopByPolicy(module: ModuleSpec, record: AgentStopRecord): Command;
  /** Waits (bounded) until the modules' pods are Ready, before the next startupOrder group. */
  waitReady(modules: readonly ModuleSpec[]): Command;
}

/** The id convention every factory uses: kind, module names and a configuration fingerprint. */
export const commandId = (kind: CommandKind, modules: readonly string[], fingerprint = ''): string =>
  `${kind}:${modules.join(',')}${fingerprint ? `@${fingerprint}` : ''}`;
