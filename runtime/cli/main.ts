import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import type { CliContext, RegisterCommand } from './cli-context.js';
import { createLogger, type Logger } from '../log/create-logger.js';
import { isEdgemuError, UsageError, describeError } from '../errors.js';
import type { LevelWithSilent } from 'pino';

export interface MainOptions {
  /** Output sinks; default process.stdout/stderr. */
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** Stop request; default: the first SIGINT or SIGTERM. */
  shutdownSignal?: AbortSignal;
  /** Extra commands (tests). */
  extraCommands?: readonly RegisterCommand[];
}

/**
 * Runs the CLI and resolves with the exit code: 0 success, 1 failure or invalid input,
 * 2 usage error (the contract in README.md, "CLI conventions"). Never throws: unexpected errors become a
 * one-line message (with the stack only at --log-level debug) and exit code 1.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const out = options.out ?? ((s: string) => void process.stdout.write(s));
  const err = options.err ?? ((s: string) => void process.stderr.write(s));
  let exitCode = 0;
  let logger: Logger | undefined;
  const shutdownSignal = options.shutdownSignal ?? processShutdownSignal();
  const levelFromArgv = (): LevelWithSilent => {
    const i = argv.findIndex((a) => a === '--log-level' || a.startsWith('--log-level='));
    const value = i < 0 ? process.env.EDGEMU_LOG_LEVEL : argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
    return (['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(value ?? '') ? value : 'info') as LevelWithSilent;
  };
  const ctx: CliContext = {
    out,
    err,
    logger: () => (logger ??= createLogger({ level: levelFromArgv() })),
    setExitCode: (code) => {
      exitCode = code;
    },
    shutdownSignal,
  };
  const program = buildProgram(ctx, options.extraCommands);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version succeed; help shown because a subcommand is missing
      // (`edgemu twin`, `commander.help`) is a usage error.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      // commander already printed the message
      return 2;
    }
    if (error instanceof UsageError) {
      err(`error: ${error.message}\n(run with --help for usage)\n`);
      return 2;
    }
    if (isEdgemuError(error)) {
      err(`error: ${error.message}\n`);
      return 1;
    }
    err(`error: ${describeError(error)}\n`);
    if (levelFromArgv() === 'debug' || levelFromArgv() === 'trace') err(`${(error as Error)?.stack ?? ''}\n`);
    return 1;
  }
}

function processShutdownSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // A second Ctrl-C while shutting down: a component that is stopping may have its own
      // listener to hurry (e.g. the local cluster SIGKILLs what is left); otherwise stop now.
      if (process.listenerCount(signal) <= 1) process.exit(130);
      return;
    }
    controller.abort(new Error(`received ${signal}`));
  };
  // `on`, not `once`: the second Ctrl-C must reach onSignal (exit 130, exit handlers run)
  // instead of Node's default action.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed pipe (`edgemu … | head`) ends the command quietly instead of an EPIPE stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  return controller.signal;
}
