import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The output of a module that `edgemu module run` runs, kept under the state dir so `edgemu logs`
 * shows it as it shows a pod's log: `<state>/module-run/<device>/<module>.log`, each line
 * prefixed with its RFC 3339 time as the Kubernetes log API's `timestamps=true` does, the
 * previous run's log beside it (`.previous.log`, for `--previous`), and the running process's pid
 * in `.pid` (removed when it ends).
 */
export interface HostModuleLogPaths {
  log: string;
  previous: string;
  pid: string;
}

export function hostModuleLogPaths(stateDir: string, deviceId: string, moduleId: string): HostModuleLogPaths {
  const base = path.join(stateDir, 'module-run', encodeURIComponent(deviceId), encodeURIComponent(moduleId));
  return { log: `${base}.log`, previous: `${base}.previous.log`, pid: `${base}.pid` };
}

/** What one run writes: `line` gets one whole output line (its newline included or not). */
export interface HostModuleLogWriter {
  line(text: string): void;
  close(): void;
}

/** Starts a run's log: the last run's log becomes the previous one, this process's pid is recorded. */
export function openHostModuleLog(paths: HostModuleLogPaths, pid: number, now: () => Date = () => new Date()): HostModuleLogWriter {
  mkdirSync(path.dirname(paths.log), { recursive: true });
  if (existsSync(paths.log)) renameSync(paths.log, paths.previous);
  writeFileSync(paths.log, '');
  writeFileSync(paths.pid, String(pid));
  return {
    line(text) {
      appendFileSync(paths.log, `${now().toISOString()} ${text.endsWith('\n') ? text : `${text}\n`}`);
    },
    close() {
      rmSync(paths.pid, { force: true });
    },
  };
}

/**
 * The log of a module `edgemu module run` runs now (its pid is alive), or undefined when none
 * runs for that device and module.
 */
export function readRunningHostModuleLog(paths: HostModuleLogPaths, previous = false): string | undefined {
  if (!existsSync(paths.pid)) return undefined;
  const pid = Number(readFileSync(paths.pid, 'utf8'));
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  const file = previous ? paths.previous : paths.log;
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
