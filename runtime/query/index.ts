/**
 * IoT Hub's query language over device and module twins (docs/query.md): lexer, parser, evaluator,
 * projection and paging. A leaf: it imports nothing from other runtime areas; the service API
 * feeds it the twins of the store.
 */
export { parseQuery, MAX_QUERY_LENGTH, MAX_QUERY_DEPTH, MAX_IN_LIST } from './query-parser.js';
export type { ParsedQuery, ParseQueryResult, QueryError, QueryExpr, QueryCollection, SelectItem } from './query-ast.js';
export { evaluateQueryExpr, resolvePath } from './evaluate-query-expr.js';
export { runQuery, type QueryOutput, type QueryItemType, type QuerySource } from './run-query.js';
export { queryPage, QueryPageError, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type QueryPage, type PageRequest } from './query-page.js';
export { matchesCondition, parseCondition } from './condition.js';
export { formatQueryTable } from './format-query-table.js';
