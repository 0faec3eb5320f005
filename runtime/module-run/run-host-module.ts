import { execa } from 'execa';
import { constants } from 'node:os';
import type { Logger } from '../log/create-logger.js';
import { createLinePrefixer } from './line-prefixer.js';
import { ModuleRunError } from './module-run-error.js';
import type { Launch } from './resolve-launch.js';

export interface RunHostModuleOptions {
  launch: Launch;
  /** Variables laid over edgemu's own environment (the module environment). */
  env: Readonly<Record<string, string>>;
  /** Prepended to every output line, e.g. `sensor | `. */
  prefix: string;
  /** Receives the child's stdout lines (prefixed). */
  out(text: string): void;
  /** Receives the child's stderr lines (prefixed). */
  err(text: string): void;
  /** Aborting it stops the module: SIGTERM to its process group, SIGKILL after `stopTimeoutMs`. */
  signal: AbortSignal;
  /** Grace period between SIGTERM and SIGKILL; default 10 s (Kubernetes' default is 30 s, Docker's 10 s). */
  stopTimeoutMs?: number;
  cwd?: string;
  logger: Logger;
}

export interface HostModuleExit {
  /** The exit code edgemu should use: the child's, or 128 + signal number when a signal ended it (shell convention). */
  exitCode: number;
  /** The signal that ended the child, if any. */
  signal?: string | undefined;
  /** True when edgemu asked the module to stop (Ctrl-C / SIGTERM to edgemu). */
  stopped: boolean;
  pid: number | undefined;
}

/**
 * Runs a module program on the host with its module environment, streaming its output line by
 * line with the module name as prefix. The child gets its own process group (`detached`), so a
 * stop reaches everything it started: SIGTERM to the group (what Kubernetes and Docker send),
 * then SIGKILL after the grace period; leftovers of the group are killed when the main process
 * ends, as a container's are. Resolves with the child's exit; throws MODULE_RUN_SPAWN_FAILED
 * when the program cannot be started at all.
 */
export async function runHostModule(options: RunHostModuleOptions): Promise<HostModuleExit> {
  const { launch, logger } = options;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const child = execa(launch.file, launch.args, {
    env: { ...options.env },
    extendEnv: true,
    detached: true,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    encoding: 'utf8',
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const pid = child.pid;
  logger.debug({ pid, file: launch.file, args: launch.args }, 'module process started');

  const outLines = createLinePrefixer(options.prefix, options.out);
  const errLines = createLinePrefixer(options.prefix, options.err);
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => outLines.push(chunk));
  child.stderr?.on('data', (chunk: string) => errLines.push(chunk));

  const killGroup = (signal: NodeJS.Signals) => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch (error) {
      // ESRCH: the group is gone already.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') logger.warn({ err: error, signal }, 'could not signal the module process group');
    }
  };
  // If edgemu itself exits abruptly (a second Ctrl-C calls process.exit), do not leave the module behind.
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);

  let stopped = false;
  let forceTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    if (stopped) return;
    stopped = true;
    logger.info({ pid }, 'stopping the module (SIGTERM to its process group)');
    killGroup('SIGTERM');
    forceTimer = setTimeout(() => {
      logger.warn({ pid, stopTimeoutMs }, 'the module did not stop in time; sending SIGKILL');
      killGroup('SIGKILL');
    }, stopTimeoutMs);
  };
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });

  try {
    const result = await child;
    outLines.flush();
    errLines.flush();
    if (result.exitCode === undefined && result.signal === undefined) {
      throw new ModuleRunError('MODULE_RUN_SPAWN_FAILED', `cannot start ${launch.file}: ${result.originalMessage ?? result.shortMessage}`, {
        details: { file: launch.file },
      });
    }
    const signal = result.signal;
    const exitCode = result.exitCode ?? 128 + (signal ? (constants.signals[signal as keyof typeof constants.signals] ?? 0) : 0);
    return { exitCode, signal, stopped, pid };
  } finally {
    if (forceTimer) clearTimeout(forceTimer);
    options.signal.removeEventListener('abort', onAbort);
    process.removeListener('exit', onExit);
    // Whatever the module left running in its group ends with it.
    killGroup('SIGKILL');
  }
}
