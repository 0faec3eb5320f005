import type { ParsedQuery } from './query-ast.js';
import { runQuery, type QueryItemType, type QuerySource } from './run-query.js';

/** Page size when the client sends no `x-ms-max-item-count` (the azure-iothub SDK's default page is 100 twins). */
export const DEFAULT_PAGE_SIZE = 100;
/** Largest page served; a larger `x-ms-max-item-count` is capped to it (edgemu's bound: one page stays a few MB). */
export const MAX_PAGE_SIZE = 1000;

/** A paging input the client got wrong: a bad page size, or a continuation token that is not this query's. */
export class QueryPageError extends Error {
  constructor(message: string) {
    super(message);
  }
}

export interface QueryPage {
  itemType: QueryItemType;
  items: unknown[];
  /** Present when more items follow: the `x-ms-continuation` the client sends back for the next page. */
  continuation?: string;
}

export interface PageRequest {
  /** The `x-ms-max-item-count` header as sent (undefined: the default page size). */
  maxItemCount?: string | number | undefined;
  /** The `x-ms-continuation` header as sent. */
  continuation?: string | undefined;
}

/**
 * One page of a query's result, as IoT Hub pages `POST /devices/query`
 * (learn.microsoft.com/rest/api/iothub/service/query/get-twins): at most `x-ms-max-item-count`
 * items, and an opaque continuation token while more follow. The token names the query (a hash
 * of its text) and the offset reached; each page re-runs the query on the current twins, so a
 * twin written between pages may move between pages, as on IoT Hub where a query is not a snapshot.
 */
export function queryPage(query: ParsedQuery, source: QuerySource, request: PageRequest): QueryPage {
  const pageSize = parsePageSize(request.maxItemCount);
  const offset = request.continuation ? decodeContinuation(request.continuation, query.text) : 0;
  // Ungrouped queries stop scanning one item past this page.
  const needed = offset + pageSize + 1;
  const bounded = query.aggregated || query.groupBy.length > 0 ? query : { ...query, top: Math.min(query.top ?? needed, needed) };
  const output = runQuery(bounded, source);
  const items = output.items.slice(offset, offset + pageSize);
  const more = output.items.length > offset + pageSize;
  return { itemType: output.itemType, items, ...(more ? { continuation: encodeContinuation(query.text, offset + pageSize) } : {}) };
}

function parsePageSize(raw: string | number | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PAGE_SIZE;
  const n = typeof raw === 'number' ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < 1) throw new QueryPageError(`x-ms-max-item-count must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${JSON.stringify(String(raw).slice(0, 20))}`);
  return Math.min(n, MAX_PAGE_SIZE);
}

/** FNV-1a of the query text: ties a token to its query without storing anything. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

function encodeContinuation(text: string, offset: number): string {
  return Buffer.from(JSON.stringify({ v: 1, q: fingerprint(text), o: offset })).toString('base64url');
}

function decodeContinuation(token: string, text: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token.trim(), 'base64url').toString('utf8'));
  } catch {
    throw new QueryPageError('the continuation token is malformed: send back the x-ms-continuation of the previous page unchanged');
  }
  const t = parsed as { v?: unknown; q?: unknown; o?: unknown } | null;
  if (typeof t !== 'object' || t === null || t.v !== 1 || typeof t.q !== 'string' || typeof t.o !== 'number' || !Number.isInteger(t.o) || t.o < 0) {
    throw new QueryPageError('the continuation token is malformed: send back the x-ms-continuation of the previous page unchanged');
  }
  if (t.q !== fingerprint(text)) throw new QueryPageError('the continuation token belongs to another query: send it with the query text it came from');
  return t.o;
}
