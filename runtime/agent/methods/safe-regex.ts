import { RE2JS } from 're2js';
import { MethodRequestError } from './method-request.js';

/** Longest regex a request may carry (edgemu's limit; edgeAgent sets none). */
export const MAX_REGEX_LENGTH = 1_000;

/** A compiled user regex: `test` finds a match anywhere in the text. */
export interface SafeRegex {
  readonly source: string;
  test(text: string): boolean;
}

/**
 * Compiles a regex that comes from a method request. edgeAgent uses .NET's backtracking `Regex`
 * (Azure/iotedge `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/logs/ModuleLogFilter.cs`),
 * where `(a+)+$` over a long line runs for ages; JavaScript's RegExp backtracks the same way and
 * cannot be interrupted, so a hostile regex would freeze the whole process (hub and agents).
 * RE2 (re2js, a JavaScript port of Google's RE2) matches in time linear in the input for any
 * pattern, so no pattern can hang, and the length cap bounds the compiled program. The price:
 * RE2 syntax — no backreferences and no lookaround; such a pattern is refused with 400 naming
 * the field (docs/agent.md, "Direct methods").
 */
export function compileSafeRegex(source: string, field: string, options: { ignoreCase?: boolean } = {}): SafeRegex {
  if (source.length > MAX_REGEX_LENGTH) throw new MethodRequestError(`${field}: at most ${MAX_REGEX_LENGTH} characters (got ${source.length})`, field);
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, options.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MethodRequestError(`${field}: not a valid regular expression (RE2 syntax: no backreferences or lookaround): ${reason}`, field);
  }
  return { source, test: (text) => re.test(text) };
}
