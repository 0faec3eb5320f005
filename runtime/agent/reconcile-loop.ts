import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';

export interface ReconcileLoopOptions {
  /** One reconcile pass; its result may ask for an earlier next pass. Throwing means "retry with back-off". */
  pass: (signal: AbortSignal) => Promise<{ requeueAfterMs?: number } | void>;
  clock: Clock;
  logger: Logger;
  /** Pass again this long after a successful pass with no trigger (IoT Edge reconciles every 5 s). */
  resyncMs?: number;
  /** Back-off after a failed pass: base × 2ⁿ capped at max (controller-runtime's rate-limited requeue). */
  errorBackoffBaseMs?: number;
  errorBackoffMaxMs?: number;
  /** A pass is aborted after this long (IoT Edge: 10 minutes). */
  passTimeoutMs?: number;
}

/**
 * The level-triggered driver (controller-runtime's reconciler contract, pkg.go.dev/sigs.k8s.io/controller-runtime/pkg/reconcile):
 * triggers — desired patches, pod events, reconnects, timers — only mark the loop dirty; one
 * pass runs at a time; triggers arriving during a pass cause exactly one follow-up pass; a failed
 * pass is retried after a capped exponential back-off during which triggers are merged, not run.
 */
export class ReconcileLoop {
  private dirty = true;
  private wake: AbortController | undefined;
  private backoff: AbortController | undefined;
  private readonly stopController = new AbortController();
  private running: Promise<void> | undefined;
  private consecutiveFailures = 0;
  /** Completed passes (successful or not); for tests and status. */
  passes = 0;

  constructor(private readonly options: ReconcileLoopOptions) {}

  /**
   * Asks for a pass. Cheap and idempotent: many calls before the next pass yield one pass.
   * `urgent` (a reconnect, a new deployment) also cuts short a back-off after failures, since
   * the cause of the failures may just have gone away.
   */
  markDirty(reason: string, options: { urgent?: boolean } = {}): void {
    if (this.stopController.signal.aborted) return;
    if (!this.dirty) this.options.logger.trace({ reason }, 'reconcile requested');
    this.dirty = true;
    this.wake?.abort();
    if (options.urgent) this.backoff?.abort();
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Stops after the current pass is aborted; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopController.abort(new Error('agent stopping'));
    this.wake?.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { clock, logger } = this.options;
    const stop = this.stopController.signal;
    let delayMs = 0;
    while (!stop.aborted) {
      if (!this.dirty) await this.waitForTrigger(delayMs);
      if (stop.aborted) break;
      this.dirty = false;
      const timeout = AbortSignal.timeout(this.options.passTimeoutMs ?? 600_000);
      try {
        const result = await this.options.pass(AbortSignal.any([stop, timeout]));
        this.consecutiveFailures = 0;
        delayMs = result?.requeueAfterMs ?? this.options.resyncMs ?? 5_000;
      } catch (error) {
        if (stop.aborted) break;
        this.consecutiveFailures += 1;
        const base = this.options.errorBackoffBaseMs ?? 1_000;
        const backoff = Math.min(base * 2 ** Math.min(this.consecutiveFailures - 1, 30), this.options.errorBackoffMaxMs ?? 30_000);
        logger.warn({ err: describeError(error), retryInMs: backoff, failures: this.consecutiveFailures }, 'reconcile pass failed');
        this.passes += 1;
        // Back-off: triggers during it are merged into the one retry that follows.
        this.backoff = new AbortController();
        await clock.sleep(backoff, AbortSignal.any([stop, this.backoff.signal])).catch(() => undefined);
        this.backoff = undefined;
        this.dirty = true;
        continue;
      }
      this.passes += 1;
    }
  }

  private async waitForTrigger(delayMs: number): Promise<void> {
    const wake = new AbortController();
    this.wake = wake;
    if (this.dirty || this.stopController.signal.aborted) return;
    await this.options.clock.sleep(delayMs, wake.signal).then(
      () => {
        this.dirty = true;
      },
      () => undefined,
    );
    this.wake = undefined;
  }
}
