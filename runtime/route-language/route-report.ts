import type { RouteSyntaxError } from './route-ast.js';

/**
 * Renders a route error for a terminal: the message, then the route line with a caret under
 * the offending character (long routes are windowed around the position). Pure.
 */
export function formatRouteError(text: string, error: RouteSyntaxError): string {
  const flat = text.replace(/[\r\n\t]/g, ' ');
  const pos = Math.min(Math.max(error.position, 0), flat.length);
  const start = Math.max(0, pos - 60);
  const end = Math.min(flat.length, pos + 60);
  const prefix = start > 0 ? '…' : '';
  const suffix = end < flat.length ? '…' : '';
  const line = `${prefix}${flat.slice(start, end)}${suffix}`;
  const caret = `${' '.repeat(prefix.length + pos - start)}^`;
  return `error at position ${error.position}: ${error.message}\n  ${line}\n  ${caret}\n`;
}

/** Parses `k=v` pairs from the command line into a record (value may contain `=`). */
export function parsePairs(pairs: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`${what} must be NAME=VALUE, got ${JSON.stringify(p)}`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}
