import type { QueryError, QueryExpr } from './query-ast.js';
import { evaluateQueryExpr } from './evaluate-query-expr.js';
import { parseQuery } from './query-parser.js';

/** A parsed target condition; `undefined` expression = every device (`*`). */
export type ParsedCondition = { ok: true; condition: QueryExpr | undefined } | { ok: false; error: QueryError };

const PREFIX = 'SELECT * FROM devices WHERE ';

/**
 * Parses a bare twin-query condition, as a configuration's `targetCondition` or a metric's query
 * uses the WHERE grammar (learn.microsoft.com/azure/iot-edge/module-deployment-monitoring, "Target
 * condition"): `tags.env='prod' AND properties.reported.x > 1`, or `*` for every device. The error
 * position is an offset into `text`.
 */
export function parseCondition(text: string): ParsedCondition {
  if (typeof text !== 'string') return { ok: false, error: { message: 'the condition must be a string', position: 0 } };
  if (text.trim() === '*') return { ok: true, condition: undefined };
  if (text.trim() === '') return { ok: false, error: { message: 'the condition is empty (use * for every device)', position: 0 } };
  const parsed = parseQuery(PREFIX + text);
  if (!parsed.ok) return { ok: false, error: { message: parsed.error.message, position: Math.max(0, parsed.error.position - PREFIX.length) } };
  if (parsed.query.groupBy.length > 0) return { ok: false, error: { message: 'a condition cannot have GROUP BY', position: text.search(/group/i) } };
  return { ok: true, condition: parsed.query.where };
}

/** True when the twin document satisfies the condition (exactly `true`; `undefined` = every device). */
export function matchesCondition(condition: QueryExpr | undefined, doc: unknown): boolean {
  return condition === undefined || evaluateQueryExpr(condition, doc) === true;
}
