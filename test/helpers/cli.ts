import { main } from '../../runtime/cli/main.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs the edgemu CLI in this process as a user would type it (`argv` without `edgemu`), with
 * its output captured. `shutdownSignal` is the Ctrl-C of long-running commands (`up`, `hub`,
 * `monitor`); by default it never fires.
 */
export async function runCli(argv: string[], shutdownSignal: AbortSignal = new AbortController().signal): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), shutdownSignal });
  return { code, out, err };
}
