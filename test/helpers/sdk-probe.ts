/**
 * Runs one of the SDK probe programs under test/helpers/sdk-programs/ (Python or Java): each
 * prints one JSON line `{"event": …, "data": …}` per step on stdout. `next(event)` waits for
 * the next line of that event; stderr is kept for the failure message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ProbeEvent {
  event: string;
  data: unknown;
}

export interface SdkProbe {
  /** Resolves with the data of the next `event` line not consumed yet; rejects after `timeoutMs` or when the program exits. */
  next(event: string, timeoutMs?: number): Promise<unknown>;
  /** The exit code once the program ended. */
  readonly exited: Promise<number | null>;
  stderr(): string;
  /** SIGTERM (a wrapper such as port-bridge.mjs passes it on). */
  kill(): void;
}

export function spawnProbe(command: string, args: readonly string[], env: Readonly<Record<string, string>>): SdkProbe {
  const child: ChildProcess = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const pending: ProbeEvent[] = [];
  const waiters: Array<{ event: string; resolve(data: unknown): void }> = [];
  let err = '';
  let ended = false;
  child.stderr!.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-20_000);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let parsed: ProbeEvent;
    try {
      parsed = JSON.parse(line) as ProbeEvent;
    } catch {
      err += `\n(stdout) ${line}`;
      return;
    }
    const i = waiters.findIndex((w) => w.event === parsed.event);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(parsed.data);
    else pending.push(parsed);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      err += `\n${String(e)}`;
      ended = true;
      resolve(null);
    });
    child.on('exit', (code) => {
      ended = true;
      resolve(code);
    });
  });
  return {
    next(event, timeoutMs = 30_000) {
      const i = pending.findIndex((p) => p.event === event);
      if (i >= 0) return Promise.resolve(pending.splice(i, 1)[0]!.data);
      return new Promise((resolve, reject) => {
        const fail = (why: string) => reject(new Error(`waiting for "${event}": ${why}\n--- program output ---\n${err}`));
        const timer = setTimeout(() => fail(`none within ${timeoutMs} ms`), timeoutMs);
        const waiter = {
          event,
          resolve: (data: unknown) => {
            clearTimeout(timer);
            resolve(data);
          },
        };
        waiters.push(waiter);
        void exited.then((code) => {
          if (waiters.includes(waiter)) {
            clearTimeout(timer);
            fail(`the program exited with ${code}`);
          }
        });
      });
    },
    exited,
    stderr: () => err,
    kill: () => {
      if (!ended) child.kill('SIGTERM');
    },
  };
}
