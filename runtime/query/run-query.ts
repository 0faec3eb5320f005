import type { ParsedQuery, QueryCollection, QueryExpr, SelectItem } from './query-ast.js';
import { evaluateQueryExpr, resolvePath } from './evaluate-query-expr.js';

/**
 * `twin` when the query returns whole twins (`SELECT *`), `raw` for projections and aggregates:
 * the values of IoT Hub's `x-ms-item-type` response header that the service SDKs read.
 */
export type QueryItemType = 'twin' | 'raw';

export interface QueryOutput {
  itemType: QueryItemType;
  items: unknown[];
}

/** The twin documents of a collection, in a stable order (device id, then module id). */
export type QuerySource = (collection: QueryCollection) => Iterable<unknown>;

/**
 * Runs a parsed twin query over the documents `source` yields: WHERE keeps the twins whose
 * condition is exactly `true`; GROUP BY groups them (groups in order of first appearance);
 * the SELECT list projects each twin or each group (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language,
 * "SELECT clause", "GROUP BY clause"). A projected property a twin lacks is left out of its
 * result object. An aggregate query without GROUP BY answers one row, also over no twins.
 */
export function runQuery(query: ParsedQuery, source: QuerySource): QueryOutput {
  const limit = query.top ?? Number.POSITIVE_INFINITY;
  const matches = (doc: unknown) => query.where === undefined || evaluateQueryExpr(query.where, doc) === true;
  if (query.select.kind === 'star') {
    const items: unknown[] = [];
    if (limit === 0) return { itemType: 'twin', items };
    for (const doc of source(query.from)) {
      if (!matches(doc)) continue;
      items.push(doc);
      if (items.length >= limit) break;
    }
    return { itemType: 'twin', items };
  }
  const select = query.select.items;
  if (!query.aggregated && query.groupBy.length === 0) {
    const items: unknown[] = [];
    if (limit === 0) return { itemType: 'raw', items };
    for (const doc of source(query.from)) {
      if (!matches(doc)) continue;
      items.push(project(select, doc, [doc]));
      if (items.length >= limit) break;
    }
    return { itemType: 'raw', items };
  }
  const groups = new Map<string, unknown[]>();
  if (query.groupBy.length === 0) groups.set('', []);
  for (const doc of source(query.from)) {
    if (!matches(doc)) continue;
    const key = query.groupBy.length === 0 ? '' : groupKey(query.groupBy.map((p) => resolvePath(doc, p)));
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(doc);
  }
  const items: unknown[] = [];
  for (const docs of groups.values()) {
    if (items.length >= limit) break;
    items.push(project(select, docs[0], docs));
  }
  return { itemType: 'raw', items };
}

/** One result object: aggregates over `group`, everything else from `doc` (the group's first twin). */
function project(select: readonly SelectItem[], doc: unknown, group: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of select) {
    const value = item.expr.kind === 'aggregate' ? aggregate(item.expr, group) : doc === undefined ? undefined : evaluateQueryExpr(item.expr, doc);
    if (value !== undefined) out[item.name] = value;
  }
  return out;
}

function aggregate(expr: Extract<QueryExpr, { kind: 'aggregate' }>, group: readonly unknown[]): unknown {
  if (expr.name === 'COUNT') return group.length;
  const values = group.map((doc) => evaluateQueryExpr(expr.arg!, doc));
  const numbers = values.filter((v): v is number => typeof v === 'number');
  switch (expr.name) {
    case 'SUM':
      return numbers.length === 0 ? undefined : numbers.reduce((a, b) => a + b, 0);
    case 'AVG':
      return numbers.length === 0 ? undefined : numbers.reduce((a, b) => a + b, 0) / numbers.length;
    default: {
      const pool: (number | string)[] = numbers.length > 0 ? numbers : values.filter((v): v is string => typeof v === 'string');
      if (pool.length === 0) return undefined;
      return pool.reduce((a, b) => ((expr.name === 'MIN' ? b < a : b > a) ? b : a));
    }
  }
}

/** A group key that tells `undefined`, `null`, `"1"` and `1` apart. */
const groupKey = (values: readonly unknown[]): string => JSON.stringify(values.map((v) => (v === undefined ? { u: 1 } : { v })));
