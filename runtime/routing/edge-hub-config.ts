import { validateEdgeHubDesired } from '../manifest/index.js';
import { parseRoute, type ParsedRoute } from '../route-language/index.js';

/** One route ready for matching: its name, priority, effective TTL and parsed form. */
export interface CompiledRoute {
  name: string;
  /** 0 (highest) … 9, or 2000000000 for string routes (`RouteFactory.DefaultPriority`). */
  priority: number;
  /** Effective message TTL in seconds: the route's own when > 0, else the store-and-forward TTL; `undefined` = infinite. */
  ttlSecs: number | undefined;
  parsed: ParsedRoute;
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
    routes.push({
      name: spec.name,
      priority: spec.priority,
      ttlSecs: spec.timeToLiveSecs > 0 ? spec.timeToLiveSecs : sfTtl,
      parsed: parsed.route,
    });
  }
  if (problems.length > 0) return { ok: false, description: `Error while parsing desired properties - ${problems.join('; ')}` };
  return { ok: true, config: { schemaVersion: cfg.schemaVersion, routes, storeAndForwardTtlSecs: sfTtl, storeMaxSizeBytes: cfg.storeMaxSizeBytes } };
}
