import type { Command } from 'commander';
import type { Logger } from '../log/create-logger.js';

/** What every command gets: output streams and a logger made from the global flags. */
export interface CliContext {
  /** Writes command output (stdout). */
  out(text: string): void;
  /** Writes human diagnostics that are not log lines (stderr). */
  err(text: string): void;
  /** The logger for this invocation (pino to stderr, level from --log-level). */
  logger(): Logger;
  /** Sets the process exit code (0 success, 1 failure, 2 usage). */
  setExitCode(code: number): void;
  /**
   * Resolves when the user asks to stop (SIGINT/SIGTERM); long-running commands await it.
   * Tests pass their own signal.
   */
  shutdownSignal: AbortSignal;
}

/** The options every command sees in addition to its own (defined on the root program). */
export interface GlobalOptions {
  stateDir: string;
  logLevel: string;
  json?: boolean;
}

/** A command module adds its subcommand(s) to the program; heavy imports happen inside actions. */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

/** Reads the global options merged with the command's own. */
export const globalOptions = (command: Command): GlobalOptions => command.optsWithGlobals() as GlobalOptions;
