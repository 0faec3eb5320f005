/** Stable codes of the twin rules a document can break (callers branch on these, never on text). */
export type TwinProblemCode =
  | 'not-an-object'
  | 'key-empty'
  | 'key-too-long'
  | 'key-character'
  | 'string-too-long'
  | 'integer-out-of-range'
  | 'too-deep'
  | 'too-nested'
  | 'section-too-large';

/** One broken rule: where (path segments below the checked object), which rule, and a message naming the limit. */
export interface TwinProblem {
  code: TwinProblemCode;
  /** Keys and array indexes from the checked object down to the offending key or value (empty: the whole object). */
  segments: readonly (string | number)[];
  message: string;
}

/** The problem's place as `a.b[0].c` (for hub error messages). */
export function dottedPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}
