import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { describeError, EdgemuError } from '../../errors.js';

/**
 * A background task's state as `GetTaskStatus` reports it (learn.microsoft.com/azure/iot-edge/how-to-retrieve-iot-edge-logs,
 * "Get upload request status"; Azure/iotedge `edge-util/src/Microsoft.Azure.Devices.Edge.Util/BackgroundTask.cs`).
 */
export type TaskRunStatus = 'NotStarted' | 'Running' | 'Completed' | 'Failed' | 'Unknown';

/** The answer of UploadModuleLogs, UploadSupportBundle and GetTaskStatus (Azure/iotedge `requests/TaskStatusResponse.cs`). */
export interface TaskStatusAnswer {
  status: TaskRunStatus;
  /** Empty unless Failed: "Task <operation> failed because of error <reason>". */
  message: string;
  correlationId: string;
}

/** More background tasks are running than the registry allows; the caller should wait for one (GetTaskStatus). */
export class TaskLimitError extends EdgemuError {
  constructor(running: number) {
    super('AGENT_TASK_LIMIT', `${running} upload tasks are already running on this device; wait until one has finished (GetTaskStatus) and ask again`);
  }
}

export interface TaskRegistryOptions {
  clock: Clock;
  /** Correlation ids (default: random UUIDs, as edgeAgent's `Guid.NewGuid()`). */
  newId?: () => string;
  /** Tasks running at once per device (default 8); one more is refused with TaskLimitError. */
  maxRunning?: number;
  /** Finished tasks remembered per registry (default 200); the oldest are forgotten first. */
  maxFinished?: number;
  /** How long a finished task's status is kept (default 24 h); after that it reads Unknown. */
  retentionMs?: number;
  /** A task still running after this long is aborted and Failed (default 10 min; edgeAgent's support task timeout). */
  timeoutMs?: number;
}

interface Entry {
  deviceId: string;
  operation: string;
  status: TaskRunStatus;
  message: string;
  finishedAt?: number;
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Correlation ids of the agent's background tasks (log and support bundle uploads) and their
 * outcome. Bounded: at most `maxRunning` running per device, at most `maxFinished` finished
 * ones kept, none older than `retentionMs`; pruned whenever a task starts. A status is only
 * given to the device that started the task (another device's id reads Unknown).
 */
export class TaskRegistry {
  private readonly tasks = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly newId: () => string;
  private readonly maxRunning: number;
  private readonly maxFinished: number;
  private readonly retentionMs: number;
  private readonly timeoutMs: number;

  constructor(options: TaskRegistryOptions) {
    this.clock = options.clock;
    this.newId = options.newId ?? randomUUID;
    this.maxRunning = options.maxRunning ?? 8;
    this.maxFinished = options.maxFinished ?? 200;
    this.retentionMs = options.retentionMs ?? 24 * 3600_000;
    this.timeoutMs = options.timeoutMs ?? 10 * 60_000;
  }

  /**
   * Starts `work` in the background and answers at once with its correlation id and status
   * Running, as edgeAgent's `BackgroundTask.Run`. `work` gets a signal aborted on timeout or close.
   */
  start(deviceId: string, operation: string, work: (signal: AbortSignal) => Promise<void>): TaskStatusAnswer {
    this.prune();
    const running = [...this.tasks.values()].filter((t) => t.deviceId === deviceId && t.status === 'Running').length;
    if (running >= this.maxRunning) throw new TaskLimitError(running);
    const correlationId = this.newId();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new EdgemuError('AGENT_TASK_TIMEOUT', `it did not finish within ${Math.round(this.timeoutMs / 1000)} s`)), this.timeoutMs);
    timer.unref();
    const entry: Entry = { deviceId, operation, status: 'Running', message: '', abort, done: Promise.resolve() };
    this.tasks.set(correlationId, entry);
    entry.done = (async () => {
      try {
        // The abort ends the task even when the work does not watch its signal (a read that hangs).
        await Promise.race([work(abort.signal), rejectOnAbort(abort.signal)]);
        if (abort.signal.aborted) throw abort.signal.reason;
        this.finish(entry, 'Completed', '');
      } catch (error) {
        const reason = abort.signal.aborted ? abort.signal.reason : error;
        this.finish(entry, 'Failed', `Task ${operation} failed because of error ${describeError(reason)}`);
      } finally {
        clearTimeout(timer);
      }
    })();
    return { status: 'Running', message: '', correlationId };
  }

  /** The task's status; Unknown (empty message) for an id this device never started or that was forgotten. */
  status(deviceId: string, correlationId: string): TaskStatusAnswer {
    this.prune();
    const entry = this.tasks.get(correlationId);
    if (!entry || entry.deviceId !== deviceId) return { status: 'Unknown', message: '', correlationId };
    return { status: entry.status, message: entry.message, correlationId };
  }

  /** Resolves when the task has finished (immediately for an unknown id); for tests and shutdown. */
  settled(correlationId: string): Promise<void> {
    return this.tasks.get(correlationId)?.done ?? Promise.resolve();
  }

  /** Aborts every running task (they end Failed, "the agent stopped") and waits for them. */
  async close(): Promise<void> {
    const running = [...this.tasks.values()].filter((t) => t.status === 'Running');
    for (const t of running) t.abort.abort(new EdgemuError('AGENT_STOPPED', 'the agent stopped'));
    await Promise.all(running.map((t) => t.done));
  }

  private finish(entry: Entry, status: TaskRunStatus, message: string): void {
    entry.status = status;
    entry.message = message;
    entry.finishedAt = this.clock.now();
  }

  private prune(): void {
    const now = this.clock.now();
    const finished: string[] = [];
    for (const [id, t] of this.tasks) {
      if (t.finishedAt === undefined) continue;
      if (now - t.finishedAt > this.retentionMs) this.tasks.delete(id);
      else finished.push(id);
    }
    // Map order is start order: the oldest finished tasks go first.
    for (const id of finished.slice(0, Math.max(0, finished.length - this.maxFinished))) this.tasks.delete(id);
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}
