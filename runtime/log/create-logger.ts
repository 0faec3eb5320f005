import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Secrets never reach a log line: SAS keys, tokens and connection strings are redacted by path. */
const REDACT_PATHS = [
  'password',
  'key',
  'primaryKey',
  'secondaryKey',
  'sharedAccessKey',
  'sas',
  'token',
  'connectionString',
  '*.password',
  '*.primaryKey',
  '*.secondaryKey',
  '*.sharedAccessKey',
  '*.connectionString',
  'headers.authorization',
];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where log lines go; stderr by default so stdout stays clean for command output. */
  destination?: NodeJS.WritableStream;
  /** Human-readable lines (default: when the destination is a TTY); JSON lines otherwise. */
  pretty?: boolean;
}

/**
 * The one place loggers are made (pino, house rule: loggers are passed in, never imported
 * as singletons). Components take `logger.child({ component })`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const isTty = 'isTTY' in destination && Boolean((destination as { isTTY?: boolean }).isTTY);
  const usePretty = options.pretty ?? isTty;
  const base = { level: options.level ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: null };
  if (usePretty) {
    return pino(base, pretty({ destination, colorize: isTty, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }));
  }
  return pino(base, destination as NodeJS.WritableStream & { write: (s: string) => boolean });
}

/** A logger that drops everything, for tests and library use without output. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
