import type { ComparisonOp, QueryExpr } from './query-ast.js';
import { callFunction } from './query-functions.js';

/**
 * Evaluates a twin-query expression on one twin document with IoT Hub's rules
 * (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language, "Expressions and conditions"):
 * a missing property is `undefined`; comparing values of different types, or arithmetic on
 * non-numbers, is `undefined` (neither true nor false), so `WHERE` keeps only twins for which
 * the condition is exactly `true`; `AND`/`OR`/`NOT` are three-valued.
 */
export function evaluateQueryExpr(expr: QueryExpr, doc: unknown): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'array':
      return expr.items.map((item) => evaluateQueryExpr(item, doc));
    case 'path':
      return resolvePath(doc, expr.segments);
    case 'unary': {
      const v = evaluateQueryExpr(expr.operand, doc);
      if (expr.op === 'NOT') return typeof v === 'boolean' ? !v : undefined;
      if (typeof v !== 'number') return undefined;
      return expr.op === '-' ? -v : v;
    }
    case 'binary': {
      if (expr.op === 'AND' || expr.op === 'OR') {
        const l = evaluateQueryExpr(expr.left, doc);
        if (expr.op === 'AND' && l === false) return false;
        if (expr.op === 'OR' && l === true) return true;
        const r = evaluateQueryExpr(expr.right, doc);
        if (expr.op === 'AND') return r === false ? false : l === true && r === true ? true : undefined;
        return r === true ? true : l === false && r === false ? false : undefined;
      }
      const l = evaluateQueryExpr(expr.left, doc);
      const r = evaluateQueryExpr(expr.right, doc);
      switch (expr.op) {
        case '+':
        case '-':
        case '*':
        case '/':
        case '%':
          return arithmetic(expr.op, l, r);
        default:
          return compare(expr.op, l, r);
      }
    }
    case 'in': {
      const v = evaluateQueryExpr(expr.operand, doc);
      if (!isPrimitive(v)) return undefined;
      const found = expr.list.some((item) => compare('=', v, evaluateQueryExpr(item, doc)) === true);
      return expr.negated ? !found : found;
    }
    case 'call':
      return callFunction(
        expr.name,
        expr.args.map((a) => evaluateQueryExpr(a, doc)),
      );
    case 'aggregate':
      // Aggregates are computed over a group by runQuery, never per document.
      return undefined;
  }
}

/** Reads `segments` from a JSON value; `undefined` as soon as a step is missing. */
export function resolvePath(doc: unknown, segments: readonly (string | number)[]): unknown {
  let v: unknown = doc;
  for (const s of segments) {
    if (typeof s === 'number') {
      if (!Array.isArray(v)) return undefined;
      v = v[s];
    } else {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, s)) return undefined;
      v = (v as Record<string, unknown>)[s];
    }
  }
  return v;
}

const isPrimitive = (v: unknown): v is string | number | boolean | null => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Comparisons of two values of one primitive type (`null = null` is true); any other pair is `undefined`. */
export function compare(op: ComparisonOp, l: unknown, r: unknown): boolean | undefined {
  if (!isPrimitive(l) || !isPrimitive(r) || typeof l !== typeof r) return undefined;
  if (l === null || r === null) return op === '=' ? l === r : op === '!=' ? l !== r : undefined;
  if (op === '=' || op === '!=') return (l === r) === (op === '=');
  return op === '<' ? l < r : op === '<=' ? l <= r : op === '>' ? l > r : l >= r;
}

function arithmetic(op: '+' | '-' | '*' | '/' | '%', l: unknown, r: unknown): number | undefined {
  if (typeof l !== 'number' || typeof r !== 'number') return undefined;
  let v: number;
  switch (op) {
    case '+':
      v = l + r;
      break;
    case '-':
      v = l - r;
      break;
    case '*':
      v = l * r;
      break;
    case '/':
      v = l / r;
      break;
    case '%':
      v = l % r;
      break;
  }
  return Number.isFinite(v) ? v : undefined;
}
