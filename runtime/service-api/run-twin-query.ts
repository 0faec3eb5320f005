import type { HubStore } from '../hub/index.js';
import { parseQuery, queryPage, QueryPageError, type PageRequest, type QueryPage } from '../query/index.js';
import { apiErrors } from './service-api-error.js';
import { twinQuerySource } from './twin-query-source.js';

/**
 * Runs one page of a twin query against a store — the rule behind `POST /devices/query` and the
 * offline `edgemu query`. A syntax error is 400 `ArgumentInvalid` with the message and the
 * position (also as line/column); a bad page size or continuation token is 400 too.
 */
export function runTwinQuery(store: HubStore, text: unknown, page: PageRequest): QueryPage {
  if (typeof text !== 'string') throw apiErrors.badRequest('The body must be {"query": "<query text>"}.');
  const parsed = parseQuery(text);
  if (!parsed.ok) {
    const { line, column } = lineColumn(text, parsed.error.position);
    throw apiErrors.badRequest(`Syntax error in the query at line ${line}, column ${column} (position ${parsed.error.position}): ${parsed.error.message}.`, {
      position: parsed.error.position,
      line,
      column,
    });
  }
  try {
    return queryPage(parsed.query, twinQuerySource(store), page);
  } catch (error) {
    if (error instanceof QueryPageError) throw apiErrors.badRequest(`${error.message}.`);
    throw error;
  }
}

function lineColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  return { line, column: position - (before.lastIndexOf('\n') + 1) + 1 };
}
