import type { Logger } from 'pino';
import { isoTime, type Clock } from '../clock.js';
import { describeError, isEdgemuError } from '../errors.js';
import type { EdgeAgentConfig } from '../manifest/index.js';
import { agentPlatform } from './agent-platform.js';
import { moduleSetOf } from './module-set.js';
import { EnvironmentUnavailableError, OrderedRetryPlanRunner, PlanExecutionError } from './plan-runner.js';
import { planReconcile } from './planner.js';
import { ReportTooLargeError, type ConfigSource, type Environment, type Reporter, type ValidateAgentDesired } from './ports.js';
import { fitReportedState, SHORTENED_KEY, type ReportLevel } from './fit-reported-state.js';
import { applyReportedPatch, buildReportedState, diffReported, type DeploymentStatus, type JsonObject, type ReportInput } from './reported-state.js';
import { applyIntensiveCare, DEFAULT_RESTART_POLICY_OPTIONS, type RestartPolicyOptions } from './restart-policy.js';
import type { CurrentState } from './runtime-info.js';

export interface AgentOptions {
  configSource: ConfigSource;
  environment: Environment;
  reporter: Reporter;
  validate: ValidateAgentDesired;
  clock: Clock;
  logger: Logger;
  restartPolicy?: RestartPolicyOptions;
  /** Cool-off of failing plan commands (IoT Edge's 10 s × 2ⁿ ≤ 300 s by default). */
  commandCoolOff?: RestartPolicyOptions;
  version?: ReportInput['version'];
  platform?: ReportInput['platform'];
}

/** What one pass tells the loop: when to run again without a new trigger. */
export interface PassResult {
  status: DeploymentStatus;
  /** Commands the plan had (0 = nothing to do). */
  planLength: number;
  requeueAfterMs?: number;
}

/**
 * The edge agent's reconcile pass (IoT Edge `Agent.Core/Agent.cs ReconcileAsync`). Each pass:
 * 1. reads desired (twin) and current (cluster) state separately, catching each failure on its
 *    own, because a broken deployment must not stop the agent from reporting what it can read;
 * 2. validates desired: 400/412/417 are reported and change nothing (the last good deployment
 *    keeps running);
 * 3. diffs and plans (pure), runs the plan (ordered, with per-command back-off);
 * 4. ALWAYS reports, sending only the difference from the last accepted report.
 * Errors that mean "the environment is unreachable" are reported as 500 and then rethrown so the
 * loop backs off.
 */
export class Agent {
  private readonly runner: OrderedRetryPlanRunner;
  private lastGoodConfig: EdgeAgentConfig | undefined;
  private lastReported: JsonObject | undefined;
  private reportedLoaded = false;
  /** How much of the last report fitted IoT Hub's reported-size limit (fit-reported-state.ts). */
  private reportLevel: ReportLevel = 'full';
  private readonly startTimeUtc: string;
  private restartBaselines: ReadonlyMap<string, number> = new Map();

  constructor(private readonly options: AgentOptions) {
    this.runner = new OrderedRetryPlanRunner({
      clock: options.clock,
      logger: options.logger,
      ...(options.commandCoolOff ? { coolOff: options.commandCoolOff } : {}),
    });
    this.startTimeUtc = isoTime(options.clock);
  }

  /** The last reported object as the agent believes the twin holds it. */
  get reported(): JsonObject | undefined {
    return this.lastReported;
  }

  async reconcileOnce(signal: AbortSignal): Promise<PassResult> {
    const { logger } = this.options;
    const [desiredResult, currentResult] = await Promise.allSettled([
      this.options.configSource.getDesired(signal),
      this.options.environment.readCurrent(signal),
    ]);
    let current: CurrentState | undefined = currentResult.status === 'fulfilled' ? this.intensiveCare(currentResult.value) : undefined;
    let status: DeploymentStatus;
    let lastDesiredVersion: number | undefined;
    let planLength = 0;
    let requeueAfterMs: number | undefined;
    let rethrow: unknown;

    if (desiredResult.status === 'rejected') {
      status = { code: 500, description: `cannot read the deployment: ${describeError(desiredResult.reason)}` };
      rethrow = desiredResult.reason;
    } else {
      lastDesiredVersion = desiredResult.value.version;
      const validation = this.options.validate(desiredResult.value.desired);
      if (validation.status !== 200) {
        status = { code: validation.status, description: describeValidation(validation.status, validation.errors) };
        logger.warn({ code: validation.status, desiredVersion: lastDesiredVersion }, 'desired deployment rejected; cluster left as it is');
      } else {
        const config = validation.value;
        this.lastGoodConfig = config;
        if (!current) {
          status = { code: 500, description: `cannot read the cluster: ${describeError(currentResult.status === 'rejected' ? currentResult.reason : undefined)}` };
          rethrow = currentResult.status === 'rejected' ? currentResult.reason : undefined;
        } else {
          const plan = planReconcile(
            { desired: moduleSetOf(userModules(config)), current, restartPolicy: this.options.restartPolicy ?? DEFAULT_RESTART_POLICY_OPTIONS },
            this.options.environment.commandFactory(config),
          );
          planLength = plan.length;
          if (plan.length === 0) status = { code: 200, description: '' };
          else {
            logger.info({ desiredVersion: lastDesiredVersion, commands: plan.map((c) => c.describe()) }, 'executing plan');
            try {
              await this.runner.execute(String(lastDesiredVersion ?? ''), plan, signal);
              status = { code: 200, description: '' };
            } catch (error) {
              if (signal.aborted) throw error;
              status = { code: 500, description: describeError(error) };
              if (error instanceof PlanExecutionError) {
                const next = this.runner.nextRetryAtMs();
                if (next !== undefined) requeueAfterMs = Math.max(0, next - this.options.clock.now());
              } else rethrow = error;
            }
            // Report what the plan produced, not what existed before it.
            try {
              current = this.intensiveCare(await this.options.environment.readCurrent(signal));
            } catch (error) {
              if (signal.aborted) throw error;
              if (!(error instanceof EnvironmentUnavailableError)) logger.warn({ err: describeError(error) }, 'cannot re-read the cluster after the plan');
              current = undefined;
            }
          }
        }
      }
    }

    await this.report({ status, lastDesiredVersion, current }, signal);
    if (rethrow !== undefined) throw rethrow;
    return { status, planLength, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
  }

  /** Restart counts since the module last stayed up for IoT Edge's intensive-care time (see `applyIntensiveCare`). */
  private intensiveCare(current: CurrentState): CurrentState {
    const { state, baselines } = applyIntensiveCare(current, this.restartBaselines, this.options.clock.now(), this.options.restartPolicy ?? DEFAULT_RESTART_POLICY_OPTIONS);
    this.restartBaselines = baselines;
    return state;
  }

  /**
   * The last word on shutdown, as IoT Edge's agent says it: `lastDesiredStatus` 406 "Agent is not
   * running" and every module's `runtimeStatus` `unknown` (its workloads keep running, but nobody
   * watches them any more). Best effort: a hub that is away simply does not get it.
   */
  async reportStopped(signal: AbortSignal): Promise<void> {
    if (!this.lastReported) return;
    const modules = (this.lastReported.modules ?? {}) as JsonObject;
    const patch: JsonObject = {
      lastDesiredStatus: { code: 406, description: 'Agent is not running' },
      systemModules: {
        edgeAgent: { runtimeStatus: 'unknown', statusDescription: 'Agent is not running' },
        edgeHub: { runtimeStatus: 'unknown', statusDescription: 'Agent is not running' },
      },
      modules: Object.fromEntries(Object.keys(modules).map((name) => [name, { runtimeStatus: 'unknown' }])),
    };
    try {
      await this.options.reporter.report(patch, signal);
      this.lastReported = applyReportedPatch(this.lastReported, patch);
    } catch (error) {
      this.options.logger.debug({ err: describeError(error) }, 'could not report the agent stop');
    }
  }

  private async report(
    pass: { status: DeploymentStatus; lastDesiredVersion: number | undefined; current: CurrentState | undefined },
    signal: AbortSignal,
  ): Promise<void> {
    const { logger } = this.options;
    if (!this.reportedLoaded) {
      try {
        this.lastReported = await this.options.reporter.readReported(signal);
        this.reportedLoaded = true;
      } catch (error) {
        logger.warn({ err: describeError(error) }, 'cannot read the reported properties; will retry');
        return;
      }
    }
    // Desired unreadable this pass: the version last acted on still stands (a missing key would null it in the twin).
    const previousVersion = this.lastReported?.lastDesiredVersion;
    const lastDesiredVersion = pass.lastDesiredVersion ?? (typeof previousVersion === 'number' ? previousVersion : undefined);
    const fitted = fitReportedState(
      buildReportedState({
        config: this.lastGoodConfig,
        lastDesiredVersion,
        status: pass.status,
        current: pass.current,
        agentStartTimeUtc: this.startTimeUtc,
        version: this.options.version ?? DEFAULT_PLATFORM.version,
        platform: this.options.platform ?? DEFAULT_PLATFORM.platform,
        restartPolicy: this.options.restartPolicy ?? DEFAULT_RESTART_POLICY_OPTIONS,
      }),
    );
    const next = fitted.state;
    if (!pass.current && this.lastReported && this.lastReported.modules !== undefined) {
      // Unknown current state: keep the modules last reported (and how they were shortened) rather than erasing them.
      next.modules = this.lastReported.modules;
      const marker = this.lastReported[SHORTENED_KEY];
      if (marker === undefined) delete next[SHORTENED_KEY];
      else next[SHORTENED_KEY] = marker;
    } else if (fitted.level !== this.reportLevel) {
      // IoT Hub's 32 KB reported-section limit (docs/agent.md "Limits"): said once per change of level.
      if (fitted.level !== 'full') logger.warn({ level: fitted.level, bytes: fitted.bytes, omittedModules: fitted.omittedModules }, 'the $edgeAgent report is shortened to fit the twin\'s reported-size limit');
      this.reportLevel = fitted.level;
    }
    const patch = diffReported(this.lastReported, next);
    if (!patch) return;
    try {
      await this.options.reporter.report(patch, signal);
      this.lastReported = applyReportedPatch(this.lastReported, patch);
      logger.debug({ keys: Object.keys(patch) }, 'reported');
    } catch (error) {
      if (isSizeRefusal(error)) {
        // Only when something besides this agent's report fills the section: nothing more to shorten.
        logger.warn({ err: describeError(error), level: fitted.level }, 'the hub refused the report for its size even shortened; will retry on the next pass');
        return;
      }
      // The hub may simply be away; the cache is unchanged so the next pass sends the same difference.
      logger.warn({ err: describeError(error) }, 'reporting failed; will retry on the next pass');
    }
  }
}

const DEFAULT_PLATFORM = agentPlatform();

/**
 * edgeAgent and edgeHub run inside edgemu and get no workload (runtime/translate skips them
 * too); a user module of that name under `modules` is ignored rather than planned forever.
 */
const SYSTEM_MODULE_NAMES = new Set(['edgeAgent', 'edgeHub', '$edgeAgent', '$edgeHub']);
const userModules = (config: EdgeAgentConfig) => config.modules.filter((m) => !SYSTEM_MODULE_NAMES.has(m.name));

/** The reporter's refusal of a patch for the reported section's size (matched by its code). */
const isSizeRefusal = (error: unknown): boolean => isEdgemuError(error) && error.code === ReportTooLargeError.CODE;

function describeValidation(code: number, errors: ReadonlyArray<{ path: string; message: string }>): string {
  const head = code === 417 ? 'Agent configuration is empty.' : code === 412 ? 'Agent configuration schema version is not supported.' : 'Agent configuration format is invalid.';
  const detail = errors
    .slice(0, 5)
    .map((e) => `${e.path || '/'}: ${e.message}`)
    .join('; ');
  return detail ? `${head} ${detail}${errors.length > 5 ? ` (and ${errors.length - 5} more)` : ''}` : head;
}
