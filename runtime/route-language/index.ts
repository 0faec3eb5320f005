/**
 * edgeHub's route language: lexer, parser, AST, condition evaluator and built-in functions,
 * plus the message shape conditions are evaluated on. A leaf: it imports nothing from other
 * runtime areas, so the manifest validator and the router can both use it (docs/routing.md).
 */
export { parseRoute, sourcePrefix, MAX_ROUTE_LENGTH, MAX_CONDITION_DEPTH } from './route-parser.js';
export type { ParsedRoute, ParseRouteResult, RouteSink, RouteSyntaxError, ConditionNode, BinaryOp, StaticType, LiteralValue } from './route-ast.js';
export { sinkKey } from './route-ast.js';
export { evaluateCondition, createConditionContext, type ConditionContext } from './condition-evaluator.js';
export { messageSourcePath, normalizedSourcePath, sourceMatches, sourcePrefixMatches, type RoutingMessage } from './routing-message.js';
export { formatRouteError, parsePairs } from './route-report.js';
