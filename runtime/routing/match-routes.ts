import { createConditionContext, evaluateCondition, messageSourcePath, sinkKey, sourceMatches, type RouteSink, type RoutingMessage } from '../route-language/index.js';
import type { CompiledRoute } from './edge-hub-config.js';

/** Where one message must go, with the priority and TTL of the route that sent it there. */
export interface RouteTarget {
  /** `$upstream` or `/modules/<m>/inputs/<i>`. */
  endpoint: string;
  sink: RouteSink;
  priority: number;
  ttlSecs: number | undefined;
}

/**
 * Evaluates every route against a message (source prefix, then condition) and returns the
 * distinct targets. Like edgeHub's evaluator (`RouteResult` equality on endpoint, priority and
 * TTL), two routes to the same endpoint with the same priority and TTL deliver once; with
 * different priorities the message is queued once per priority. Pure; never throws.
 */
export function matchRoutes(routes: readonly CompiledRoute[], message: RoutingMessage): RouteTarget[] {
  const path = messageSourcePath(message);
  const seen = new Set<string>();
  const out: RouteTarget[] = [];
  const context = createConditionContext(message);
  for (const route of routes) {
    if (!sourceMatches(route.parsed.sourcePrefix, path)) continue;
    if (!evaluateCondition(route.parsed.condition, message, context)) continue;
    const endpoint = sinkKey(route.parsed.sink);
    const key = `${endpoint}\u0000${route.priority}\u0000${route.ttlSecs ?? -1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ endpoint, sink: route.parsed.sink, priority: route.priority, ttlSecs: route.ttlSecs });
  }
  return out;
}
