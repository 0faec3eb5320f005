/**
 * The typed error family. Every error edgemu raises on purpose carries a stable `code`
 * (callers and tests branch on it, never on message text) and optional structured details.
 * `UsageError` means the command line itself was wrong (exit code 2).
 */
export class EdgemuError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  override get name(): string {
    return 'EdgemuError';
  }
}

/** A bad command line: unknown flag, missing argument, conflicting options. Exit code 2. */
export class UsageError extends EdgemuError {
  constructor(message: string) {
    super('USAGE', message);
  }

  override get name(): string {
    return 'UsageError';
  }
}

/** True for any error raised deliberately by edgemu (as opposed to a bug or a library failure). */
export const isEdgemuError = (error: unknown): error is EdgemuError => error instanceof EdgemuError;

/** A readable one-line description of any thrown value, for logs and CLI output. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
