import { validateEdgeHubDesired } from '../manifest/index.js';
import { parseRoute, sinkKey, type ParsedRoute, type RouteSink } from '../route-language/index.js';

/** Where one message must go, with the priority and TTL of the route that sent it there. */
export interface RouteTarget {
  /** `$upstream` or `/modules/<m>/inputs/<i>`. */
  endpoint: string;
  sink: RouteSink;
  priority: number;
  ttlSecs: number | undefined;
}

/** One route ready for matching: its name, priority, effective TTL and parsed form. */
export interface CompiledRoute {
  name: string;
  /** 0 (highest) … 9, or 2000000000 for string routes (`RouteFactory.DefaultPriority`). */
  priority: number;
  /** Effective message TTL in seconds: the route's own when > 0, else the store-and-forward TTL; `undefined` = infinite. */
  ttlSecs: number | undefined;
  parsed: ParsedRoute;
  /** What a message this route takes is sent to (made once, shared by every message). */
  target: Readonly<RouteTarget>;
  /**
   * Equal for two routes exactly when they deliver a message once between them (edgeHub's
   * `RouteResult` equality: endpoint, priority, TTL).
   */
  targetKey: string;
}

/** A compiled route from its parts (the target and its key made here, once). */
export function compiledRoute(name: string, parsed: ParsedRoute, priority: number, ttlSecs: number | undefined): CompiledRoute {
  const endpoint = sinkKey(parsed.sink);
  return {
    name,
    priority,
    ttlSecs,
    parsed,
    target: Object.freeze({ endpoint, sink: parsed.sink, priority, ttlSecs }),
    targetKey: `${endpoint}\u0000${priority}\u0000${ttlSecs ?? -1}`,
  };
}

/** A whole, valid `$edgeHub` configuration. */
export interface CompiledRouteSet {
  schemaVersion: string;
  routes: CompiledRoute[];
  /** `storeAndForwardConfiguration.timeToLiveSecs`; `undefined` = infinite (negative in the twin). */
  storeAndForwardTtlSecs: number | undefined;
  /**
   * `storeAndForwardConfiguration.storeLimits.maxSizeBytes`: bytes the device's module-input
   * queues may hold before new messages for them are refused; `undefined` = no limit.
   */
  storeMaxSizeBytes: number | undefined;
}

export type CompileResult =
  | { ok: true; config: CompiledRouteSet }
  /** The set is refused as a whole; `description` is what `lastDesiredStatus` reports (code 400). */
  | { ok: false; description: string }
  /** The desired section is empty (no deployment yet): nothing to apply, nothing to report. */
  | { ok: 'empty' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Turns `$edgeHub` desired properties (as read from the twin, `$version`/`$metadata` included)
 * into a route set, or refuses the whole set: edgeHub replaces routes as a set
 * (`ConfigUpdater.UpdateRoutes`) and reports any parse failure as `lastDesiredStatus` 400
 * "Error while parsing desired properties - …" (learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub). Structure is
 * checked by the manifest validator, every route by `parseRoute`. Pure.
 */
export function compileEdgeHubDesired(desired: unknown): CompileResult {
  if (isObject(desired) && Object.keys(desired).every((k) => k.startsWith('$'))) return { ok: 'empty' };
  const validated = validateEdgeHubDesired(desired);
  if (validated.status !== 200) {
    const details = validated.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
    return { ok: false, description: `Error while parsing desired properties - ${details}` };
  }
  const cfg = validated.value;
  const sfTtl = cfg.storeAndForwardTimeToLiveSecs < 0 ? undefined : cfg.storeAndForwardTimeToLiveSecs;
  const routes: CompiledRoute[] = [];
  const problems: string[] = [];
  for (const spec of cfg.routes) {
    const parsed = parseRoute(spec.route);
    if (!parsed.ok) {
      problems.push(`route ${JSON.stringify(spec.name)}: ${parsed.error.message} at position ${parsed.error.position}`);
      continue;
    }
    routes.push(compiledRoute(spec.name, parsed.route, spec.priority, spec.timeToLiveSecs > 0 ? spec.timeToLiveSecs : sfTtl));
  }
  if (problems.length > 0) return { ok: false, description: `Error while parsing desired properties - ${problems.join('; ')}` };
  return { ok: true, config: { schemaVersion: cfg.schemaVersion, routes, storeAndForwardTtlSecs: sfTtl, storeMaxSizeBytes: cfg.storeMaxSizeBytes } };
}
