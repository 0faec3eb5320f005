/**
 * A child process that speaks JSON lines (one request object per line on stdin, one answer per
 * line on stdout, in order), as bench/mqtt-load.ts does; used by bench/hub.bench.ts and
 * bench/compare-trees.ts. An answer with an `error` field rejects its request.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LineChild {
  ask(msg: Record<string, unknown>): Promise<Record<string, unknown>>;
  child: ChildProcess;
}

/** `child` must have been spawned with piped stdin and stdout. */
export function lineChild(child: ChildProcess): LineChild {
  const answers: Array<(a: Record<string, unknown>) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => answers.shift()?.(JSON.parse(l) as Record<string, unknown>));
  return {
    child,
    ask: (msg) =>
      new Promise((resolve, reject) => {
        answers.push((a) => (a.error ? reject(new Error(String(a.error))) : resolve(a)));
        child.stdin!.write(`${JSON.stringify(msg)}\n`);
      }),
  };
}
