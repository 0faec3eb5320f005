import { DEFAULT_ROUTE_PRIORITY, type EdgeHubConfig, type RouteSpec, type ValidationResult } from './model.js';
import { IssueCollector } from './issue-collector.js';
import { pointer } from './json-pointer.js';
import { checkHubSchemaVersion } from './schema-version.js';
import { hubSchemaIssues, type HubSchemaMinor } from './compiled-schemas.js';
import { withoutTwinMetadata } from './validate-edge-agent-desired.js';
import { parseRoute, type ParsedRoute, type ParseRouteResult } from '../route-language/index.js';
import { BoundedCache } from './bounded-cache.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `parseRoute` remembered per route text: the same routes come back on every `$edgeHub`
 * patch and every validation of the same manifest. Parse results are only read here.
 */
const parsedRouteCache = new BoundedCache<ParseRouteResult>(2048, 4096);

/** `storeAndForwardConfiguration.timeToLiveSecs` when the manifest gives none (typical manifests use 7200). */
export const DEFAULT_STORE_AND_FORWARD_TTL_SECS = 7200;

/**
 * Validates `$edgeHub` desired properties as read from the twin (the router's input) and
 * returns the normalized config. edgeHub reports only 200 or 400 (`EdgeHubConnection`), so
 * every problem here, including an unsupported schemaVersion, is a 400. Twin metadata
 * (`$version`, `$metadata`) is ignored. Paths are relative to the desired object.
 */
export function validateEdgeHubDesired(desired: unknown): ValidationResult<EdgeHubConfig> {
  const issues = new IssueCollector();
  const section = isObject(desired) ? withoutTwinMetadata(desired) : desired;
  const build = checkEdgeHubDesired(section, '', issues);
  return issues.result(() => build!());
}

/**
 * Records every problem of a `$edgeHub` desired section below `base` and returns a builder
 * for the normalized config (call it only when nothing was recorded). Never throws.
 */
export function checkEdgeHubDesired(
  desired: unknown,
  base: string,
  issues: IssueCollector,
  parsedRoutes?: Map<string, ParsedRoute>,
): (() => EdgeHubConfig) | undefined {
  if (!isObject(desired)) {
    const what = desired === undefined ? 'missing' : Array.isArray(desired) ? 'an array' : desired === null ? 'null' : typeof desired;
    issues.add(400, base, `the $edgeHub desired properties must be a JSON object with schemaVersion and routes, got ${what}`);
    return undefined;
  }
  const before = issues.count;
  const version = checkHubSchemaVersion(desired.schemaVersion);
  if (!version.ok) issues.add(400, pointer(base, 'schemaVersion'), version.message);
  const minor = (version.ok ? version.version.minor : 1) as HubSchemaMinor;
  for (const issue of hubSchemaIssues(desired, minor, base)) {
    if (issue.ignored) issues.warn(issue.message);
    else issues.add(400, issue.path, issue.message);
  }

  if (isObject(desired.routes)) {
    for (const [name, value] of Object.entries(desired.routes)) {
      const text = typeof value === 'string' ? value : isObject(value) && typeof value.route === 'string' ? value.route : undefined;
      if (text === undefined) continue;
      // edgeHub 1.0 skips blank string routes (EdgeHubDesiredProperties_1_0); report it, it is never what was meant
      if (text.trim() === '') {
        if (typeof value === 'string') issues.warn(`route "${name}" is blank and is ignored`);
        else issues.add(400, routePointer(base, name, value), `route "${name}" is empty: write "FROM <source> [WHERE <condition>] INTO <sink>"`);
        continue;
      }
      // the route grammar of edgeHub (Route.g4 / Condition.g4), with the position of the first error
      const parsed = parsedRouteCache.get(text, () => parseRoute(text));
      if (!parsed.ok) issues.add(400, routePointer(base, name, value), `route "${name}" is not valid at character ${parsed.error.position + 1}: ${parsed.error.message}${excerpt(text, parsed.error.position)}`);
      else parsedRoutes?.set(name, parsed.route);
    }
  }
  if (issues.count > before) return undefined;
  return () => normalize(desired);
}

/** Where a route's text is: the route itself, or its `route` property (built only for problems). */
function routePointer(base: string, name: string, value: unknown): string {
  return typeof value === 'string' ? pointer(base, 'routes', name) : pointer(base, 'routes', name, 'route');
}

/** A short view of the route around `position`, e.g. ` (near "…WHERE temp > ▸INTO $upstream")`. */
function excerpt(text: string, position: number): string {
  if (text.length <= 1) return '';
  const start = Math.max(0, position - 30);
  const end = Math.min(text.length, position + 30);
  return ` (near "${start > 0 ? '…' : ''}${text.slice(start, position)}▸${text.slice(position, end)}${end < text.length ? '…' : ''}")`;
}

function normalize(d: Json): EdgeHubConfig {
  const routes: RouteSpec[] = [];
  for (const [name, value] of Object.entries((d.routes as Json | undefined) ?? {})) {
    if (typeof value === 'string') {
      if (value.trim() === '') continue;
      routes.push({ name, route: value, priority: DEFAULT_ROUTE_PRIORITY, timeToLiveSecs: 0 });
    } else {
      const r = value as Json;
      routes.push({
        name,
        route: r.route as string,
        priority: typeof r.priority === 'number' ? r.priority : DEFAULT_ROUTE_PRIORITY,
        timeToLiveSecs: typeof r.timeToLiveSecs === 'number' ? r.timeToLiveSecs : 0,
      });
    }
  }
  routes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const sf = isObject(d.storeAndForwardConfiguration) ? d.storeAndForwardConfiguration : {};
  const maxSizeBytes = isObject(sf.storeLimits) ? sf.storeLimits.maxSizeBytes : undefined;
  return {
    schemaVersion: d.schemaVersion as string,
    routes,
    storeAndForwardTimeToLiveSecs: typeof sf.timeToLiveSecs === 'number' ? sf.timeToLiveSecs : DEFAULT_STORE_AND_FORWARD_TTL_SECS,
    ...(typeof maxSizeBytes === 'number' ? { storeMaxSizeBytes: maxSizeBytes } : {}),
  };
}
