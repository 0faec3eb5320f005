import { createConditionContext, evaluateCondition, messageSourcePath, normalizedSourcePath, sourcePrefixMatches, type ConditionContext, type RoutingMessage } from '../route-language/index.js';
import type { CompiledRoute, RouteTarget } from './edge-hub-config.js';

export type { RouteTarget } from './edge-hub-config.js';

const NONE: readonly RouteTarget[] = Object.freeze([]);

/**
 * Evaluates every route against a message (source prefix, then condition) and returns the
 * distinct targets. Like edgeHub's evaluator (`RouteResult` equality on endpoint, priority and
 * TTL), two routes to the same endpoint with the same priority and TTL deliver once; with
 * different priorities the message is queued once per priority. Pure; never throws. The
 * targets are the routes' own (made when the route set was compiled): nothing is allocated
 * per message but the result array and, when a condition reads the body, its parse.
 */
export function matchRoutes(routes: readonly CompiledRoute[], message: RoutingMessage): readonly RouteTarget[] {
  const path = normalizedSourcePath(messageSourcePath(message));
  let out: RouteTarget[] | undefined;
  let keys: string[] | undefined;
  let context: ConditionContext | undefined;
  for (const route of routes) {
    if (!sourcePrefixMatches(route.parsed.sourcePrefix, path)) continue;
    if (route.parsed.condition !== undefined && !evaluateCondition(route.parsed.condition, message, (context ??= createConditionContext(message)))) continue;
    if (out === undefined || keys === undefined) {
      out = [route.target];
      keys = [route.targetKey];
      continue;
    }
    if (keys.includes(route.targetKey)) continue;
    keys.push(route.targetKey);
    out.push(route.target);
  }
  return out ?? NONE;
}
