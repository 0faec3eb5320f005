/** Output formats of `edgemu module env`. */
export type EnvFormat = 'dotenv' | 'shell' | 'json';

/**
 * Prints a module environment for an IDE or shell:
 * - `dotenv`: `NAME=value` lines, what VS Code's `envFile`, JetBrains' EnvFile and `dotenv` read;
 *   values are double-quoted (with `\\`, `"`, `\n` escaped) only when they hold whitespace, `#`,
 *   quotes or newlines, because unquoted `#` starts a comment in several parsers;
 * - `shell`: `export NAME='value'` lines for `eval "$(edgemu module env …  --shell)"`;
 * - `json`: one object, the shape of a VS Code launch configuration's `env`.
 * Names are sorted so the output is stable.
 */
export function formatEnv(env: Readonly<Record<string, string>>, format: EnvFormat): string {
  const names = Object.keys(env).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (format === 'json') return `${JSON.stringify(Object.fromEntries(names.map((n) => [n, env[n]])), null, 2)}\n`;
  const lines = names.map((name) => {
    const value = env[name]!;
    if (format === 'shell') return `export ${name}=${shellQuote(value)}`;
    return `${name}=${dotenvValue(value)}`;
  });
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

const dotenvValue = (value: string): string =>
  /[\s#"'\\]/.test(value) ? `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"` : value;

/** POSIX single quoting: everything literal, `'` written as `'\''`. */
export const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;
