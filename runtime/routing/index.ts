/**
 * edgeHub routing: the route language (parser, condition evaluator), message sources, and
 * (once wired) the router with store-and-forward. `parseRoute` is what `edgemu validate` uses.
 */
export { parseRoute, sourcePrefix, MAX_ROUTE_LENGTH, MAX_CONDITION_DEPTH } from './route-parser.js';
export type { ParsedRoute, ParseRouteResult, RouteSink, RouteSyntaxError, ConditionNode } from './route-ast.js';
export { sinkKey } from './route-ast.js';
export { evaluateCondition } from './condition-evaluator.js';
export { messageSourcePath, sourceMatches, type RoutingMessage } from './routing-message.js';
export { EdgeRouter, type EdgeRouterOptions, type UpstreamStore } from './edge-router.js';
export { compileEdgeHubDesired, type CompiledRoute, type CompiledRouteSet, type CompileResult } from './edge-hub-config.js';
export { matchRoutes, type RouteTarget } from './match-routes.js';
export { RouteQueueStore, ROUTING_DB_FILE } from './route-queue-store.js';
export { toRoutingMessage, inputDeliveryProperties } from './hub-message-mapping.js';
