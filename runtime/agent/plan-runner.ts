import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { describeError, EdgemuError } from '../errors.js';
import type { Plan } from './planner.js';
import { coolOffMs, DEFAULT_RESTART_POLICY_OPTIONS, type RestartPolicyOptions } from './restart-policy.js';

/** One command that did not succeed in a plan run. */
export interface CommandFailure {
  command: string;
  error: string;
  /** How many times it has failed for the current deployment. */
  failures: number;
  /** True when it was not run at all because it is still cooling off after earlier failures. */
  skipped: boolean;
  /** When it will be tried again (epoch ms). */
  retryAtMs: number;
}

/** A plan finished with failed or skipped commands; the description becomes `lastDesiredStatus` 500. */
export class PlanExecutionError extends EdgemuError {
  readonly failures: readonly CommandFailure[];
  constructor(failures: readonly CommandFailure[]) {
    super('AGENT_PLAN_FAILED', describeFailures(failures), { details: { failures } });
    this.failures = failures;
  }
}

/**
 * Thrown by a command when the environment cannot be reached at all (API server down). It is
 * not the command's fault, so it does not count against the command; the runner stops the
 * plan (IoT Edge's `ExecutionPrerequisiteException`) and the loop retries the pass with back-off.
 */
export class EnvironmentUnavailableError extends EdgemuError {
  constructor(message: string, cause?: unknown) {
    super('AGENT_ENVIRONMENT_UNAVAILABLE', message, { cause });
  }
}

const describeFailures = (failures: readonly CommandFailure[]): string =>
  failures
    .map((f) => (f.skipped ? `${f.command}: cooling off after ${f.failures} failure(s) (${f.error})` : `${f.command} failed: ${f.error}`))
    .join('; ');

export interface PlanRunnerOptions {
  clock: Clock;
  logger: Logger;
  /** Cool-off between retries of a failing command; IoT Edge's 10 s × 2ⁿ capped at 300 s by default. */
  coolOff?: RestartPolicyOptions;
  /** How many commands of one batch run at the same time (default 8). */
  concurrency?: number;
}

interface RunStats {
  failures: number;
  lastFailureMs: number;
  lastError: string;
}

/**
 * Runs a plan's commands in order (IoT Edge `OrderedRetryPlanRunner`): keeps per-command failure
 * statistics keyed by `command.id`, skips a command that is still cooling off after failing
 * (cool-off `unit × 2^(failures-1)`, capped), forgets the statistics when the deployment changes
 * or the command succeeds, keeps going after a failure so independent modules still converge,
 * and throws one PlanExecutionError listing every failure at the end.
 */
export class OrderedRetryPlanRunner {
  private readonly stats = new Map<string, RunStats>();
  private deploymentId: string | undefined;
  private readonly coolOff: RestartPolicyOptions;
  private readonly concurrency: number;

  constructor(private readonly options: PlanRunnerOptions) {
    this.coolOff = options.coolOff ?? DEFAULT_RESTART_POLICY_OPTIONS;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
  }

  async execute(deploymentId: string, plan: Plan, signal: AbortSignal): Promise<void> {
    if (deploymentId !== this.deploymentId) {
      this.stats.clear();
      this.deploymentId = deploymentId;
    }
    const failures: CommandFailure[] = [];
    // Consecutive commands of one batch run concurrently (bounded); anything else in order.
    for (let i = 0; i < plan.length; ) {
      const batch = plan[i]!.batch;
      let j = i + 1;
      if (batch !== undefined) while (j < plan.length && plan[j]!.batch === batch) j += 1;
      const slice = plan.slice(i, j);
      i = j;
      let next = 0;
      const worker = async () => {
        while (next < slice.length) {
          const command = slice[next++]!;
          const failure = await this.runOne(command, signal);
          if (failure) failures.push(failure);
        }
      };
      const results = await Promise.allSettled(Array.from({ length: Math.min(this.concurrency, slice.length) }, worker));
      const fatal = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (fatal) throw fatal.reason;
    }
    if (failures.length > 0) throw new PlanExecutionError(failures);
  }

  /** Runs one command unless it is cooling off; a failure is returned, an unreachable environment thrown. */
  private async runOne(command: Plan[number], signal: AbortSignal): Promise<CommandFailure | undefined> {
    signal.throwIfAborted();
    const now = this.options.clock.now();
    const stats = this.stats.get(command.id);
    if (stats) {
      const retryAtMs = stats.lastFailureMs + coolOffMs(stats.failures - 1, this.coolOff);
      if (now < retryAtMs && now >= stats.lastFailureMs) {
        this.options.logger.debug({ command: command.describe(), retryAtMs }, 'command cooling off');
        return { command: command.describe(), error: stats.lastError, failures: stats.failures, skipped: true, retryAtMs };
      }
    }
    try {
      this.options.logger.debug({ command: command.describe() }, 'executing');
      await command.execute(signal);
      this.stats.delete(command.id);
      return undefined;
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof EnvironmentUnavailableError) throw error;
      const failed = { failures: (stats?.failures ?? 0) + 1, lastFailureMs: this.options.clock.now(), lastError: describeError(error) };
      this.stats.set(command.id, failed);
      this.options.logger.warn({ command: command.describe(), err: failed.lastError, failures: failed.failures }, 'command failed');
      return {
        command: command.describe(),
        error: failed.lastError,
        failures: failed.failures,
        skipped: false,
        retryAtMs: failed.lastFailureMs + coolOffMs(failed.failures - 1, this.coolOff),
      };
    }
  }

  /** The earliest time a cooling-off command may run again, so the loop can requeue then. */
  nextRetryAtMs(): number | undefined {
    let next: number | undefined;
    for (const s of this.stats.values()) {
      const at = s.lastFailureMs + coolOffMs(s.failures - 1, this.coolOff);
      next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }
}
