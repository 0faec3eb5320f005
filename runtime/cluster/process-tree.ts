import { readFileSync } from 'node:fs';

/** True while a process with this pid exists (EPERM still means it exists). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True while the process runs: alive and not a zombie. A zombie has exited (it holds no ports
 * or memory) and only waits for its parent to reap it; the parent may be this very process.
 */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": the state follows the last ')' (comm may contain spaces or parens)
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * True when `pid` is alive AND still runs `binary` (Linux /proc check). A pid file can outlive
 * its process and the pid be reused by something else: we only ever signal our own processes.
 * Where /proc is unavailable, liveness alone is used.
 */
export function isOurProcess(pid: number, binary: string): boolean {
  if (!isRunning(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return process.platform !== 'linux';
  }
  if (cmdline === '') return false; // zombie
  const argv0 = cmdline.split('\0')[0] ?? '';
  return argv0 === binary;
}

/** Sends a signal to a whole process group (the child was spawned detached: pgid = pid). */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** Resident memory of a process in bytes (Linux VmRSS), or undefined. */
export function residentBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
