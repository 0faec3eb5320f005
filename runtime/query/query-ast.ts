/**
 * The syntax tree of an IoT Hub twin query, `SELECT [TOP n] <list> | * FROM devices | devices.modules
 * [WHERE <condition>] [GROUP BY <paths>]` (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language),
 * as `parseQuery` produces it and `runQuery` evaluates it.
 */

export type QueryCollection = 'devices' | 'devices.modules';

export type Primitive = string | number | boolean | null;

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';
export type BinaryOp = ComparisonOp | ArithmeticOp | 'AND' | 'OR';

export type AggregateName = 'COUNT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

export type QueryExpr =
  | { kind: 'literal'; value: Primitive; pos: number }
  | { kind: 'array'; items: readonly QueryExpr[]; pos: number }
  /**
   * A property of the twin document, the collection prefix (`devices.`, `devices.modules.`)
   * already removed: `['tags', 'env']`, `['properties', 'reported', 'items', 0]`.
   */
  | { kind: 'path'; segments: readonly (string | number)[]; pos: number }
  | { kind: 'unary'; op: '-' | '+' | 'NOT'; operand: QueryExpr; pos: number }
  | { kind: 'binary'; op: BinaryOp; left: QueryExpr; right: QueryExpr; pos: number }
  | { kind: 'in'; negated: boolean; operand: QueryExpr; list: readonly QueryExpr[]; pos: number }
  /** A built-in function (`IS_DEFINED`, `STARTS_WITH`, …); `name` is the canonical upper-case name. */
  | { kind: 'call'; name: string; args: readonly QueryExpr[]; pos: number }
  /** Only at the top of a SELECT item. `arg` is absent for `COUNT()`. */
  | { kind: 'aggregate'; name: AggregateName; arg?: QueryExpr; pos: number };

export interface SelectItem {
  expr: QueryExpr;
  /** The member name in each result object: the `AS` alias, else the path's last name. */
  name: string;
}

export interface ParsedQuery {
  text: string;
  /** `*` returns whole twins; a list returns one object per twin (or per group) with those members. */
  select: { kind: 'star' } | { kind: 'list'; items: readonly SelectItem[] };
  top?: number;
  from: QueryCollection;
  where?: QueryExpr;
  /** GROUP BY paths (empty: no grouping). */
  groupBy: readonly (readonly (string | number)[])[];
  /** True when the select list has an aggregate (then the result is one row per group, or one row). */
  aggregated: boolean;
}

export interface QueryError {
  message: string;
  /** 0-based character offset into the query text. */
  position: number;
}

export type ParseQueryResult = { ok: true; query: ParsedQuery } | { ok: false; error: QueryError };
