/**
 * edgeHub routing: the route language (parser, condition evaluator), message sources, and
 * (once wired) the router with store-and-forward. `parseRoute` is what `edgemu validate` uses.
 */
export {
  parseRoute,
  sourcePrefix,
  MAX_ROUTE_LENGTH,
  MAX_CONDITION_DEPTH,
  sinkKey,
  evaluateCondition,
  messageSourcePath,
  sourceMatches,
  type ParsedRoute,
  type ParseRouteResult,
  type RouteSink,
  type RouteSyntaxError,
  type ConditionNode,
  type RoutingMessage,
} from '../route-language/index.js';
export { EdgeRouter, type EdgeRouterOptions, type UpstreamStore } from './edge-router.js';
export { compileEdgeHubDesired, type CompiledRoute, type CompiledRouteSet, type CompileResult } from './edge-hub-config.js';
export { matchRoutes, type RouteTarget } from './match-routes.js';
export { RouteQueueStore, ROUTING_DB_FILE } from './route-queue-store.js';
export { toRoutingMessage, inputDeliveryProperties } from './hub-message-mapping.js';
