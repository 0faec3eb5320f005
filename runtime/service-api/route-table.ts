/**
 * The service API's request routing table: IoT Hub's REST paths (learn.microsoft.com/rest/api/iothub,
 * the azure-iothub SDK's `registry.ts`/`device_method.ts`) plus edgemu's telemetry and C2D
 * endpoints. Pure: a method and a raw path in, a route name and decoded parameters out.
 */

export type RouteName =
  | 'listDevices'
  | 'queryDevices'
  | 'getDevice'
  | 'putDevice'
  | 'deleteDevice'
  | 'listModules'
  | 'getModule'
  | 'putModule'
  | 'deleteModule'
  | 'applyConfigurationContent'
  | 'listConfigurations'
  | 'getConfiguration'
  | 'putConfiguration'
  | 'deleteConfiguration'
  | 'testConfigurationQueries'
  | 'sendC2d'
  | 'getTwin'
  | 'patchTwin'
  | 'replaceTwin'
  | 'getModuleTwin'
  | 'patchModuleTwin'
  | 'replaceModuleTwin'
  | 'invokeDeviceMethod'
  | 'invokeModuleMethod'
  | 'recentEvents'
  | 'streamEvents';

export type HttpMethod = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

export interface RouteParams {
  deviceId?: string;
  moduleId?: string;
  configurationId?: string;
}

interface RouteEntry {
  /** Path segments; `:deviceId`, `:moduleId` and `:configurationId` capture one (URL-decoded) segment. */
  pattern: readonly string[];
  methods: Partial<Record<HttpMethod, RouteName>>;
}

const TABLE: readonly RouteEntry[] = [
  { pattern: ['devices'], methods: { GET: 'listDevices' } },
  // POST /devices/query (learn.microsoft.com/rest/api/iothub/service/query/get-twins); the literal word wins over a device id.
  { pattern: ['devices', 'query'], methods: { POST: 'queryDevices' } },
  { pattern: ['devices', ':deviceId'], methods: { GET: 'getDevice', PUT: 'putDevice', DELETE: 'deleteDevice' } },
  { pattern: ['devices', ':deviceId', 'modules'], methods: { GET: 'listModules' } },
  { pattern: ['devices', ':deviceId', 'modules', ':moduleId'], methods: { GET: 'getModule', PUT: 'putModule', DELETE: 'deleteModule' } },
  // POST /devices/{id}/applyConfigurationContent (learn.microsoft.com/rest/api/iothub/service/configuration/apply-on-edge-device)
  { pattern: ['devices', ':deviceId', 'applyConfigurationContent'], methods: { POST: 'applyConfigurationContent' } },
  // Configurations: automatic and layered IoT Edge deployments (learn.microsoft.com/rest/api/iothub/service/configuration);
  // the literal `testQueries` is listed before the id it would otherwise be.
  { pattern: ['configurations'], methods: { GET: 'listConfigurations' } },
  { pattern: ['configurations', 'testQueries'], methods: { POST: 'testConfigurationQueries' } },
  { pattern: ['configurations', ':configurationId'], methods: { GET: 'getConfiguration', PUT: 'putConfiguration', DELETE: 'deleteConfiguration' } },
  // C2D send: IoT Hub does this over AMQP; edgemu offers it over HTTPS on the device's bound queue path.
  { pattern: ['devices', ':deviceId', 'messages', 'deviceBound'], methods: { POST: 'sendC2d' } },
  { pattern: ['twins', ':deviceId'], methods: { GET: 'getTwin', PATCH: 'patchTwin', PUT: 'replaceTwin' } },
  { pattern: ['twins', ':deviceId', 'modules', ':moduleId'], methods: { GET: 'getModuleTwin', PATCH: 'patchModuleTwin', PUT: 'replaceModuleTwin' } },
  { pattern: ['twins', ':deviceId', 'methods'], methods: { POST: 'invokeDeviceMethod' } },
  { pattern: ['twins', ':deviceId', 'modules', ':moduleId', 'methods'], methods: { POST: 'invokeModuleMethod' } },
  // Telemetry (edgemu's own): recent messages as JSON, and a server-sent-events stream.
  { pattern: ['messages', 'events'], methods: { GET: 'recentEvents' } },
  { pattern: ['messages', 'events', 'stream'], methods: { GET: 'streamEvents' } },
];

export type RouteMatch =
  | { kind: 'match'; route: RouteName; params: RouteParams }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' }
  | { kind: 'bad-path'; reason: string };

/** The longest id IoT Hub accepts for a device or module (128 characters). */
const MAX_ID_LENGTH = 128;

/**
 * Matches `method` + `pathname` (without the query string) against the table. Segments are
 * percent-decoded once (`%24edgeAgent` → `$edgeAgent`); malformed escapes, empty ids and
 * over-long ids are `bad-path`. Path segment comparison is case-insensitive for the fixed
 * words (IoT Hub routes case-insensitively) and exact for ids.
 */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const raw = pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  const segments = raw === '' ? [] : raw.split('/');
  let pathMatched: RouteEntry | undefined;
  let params: RouteParams = {};
  for (const entry of TABLE) {
    if (entry.pattern.length !== segments.length) continue;
    const captured: RouteParams = {};
    let ok = true;
    for (let i = 0; i < entry.pattern.length && ok; i++) {
      const want = entry.pattern[i]!;
      const got = segments[i]!;
      if (want.startsWith(':')) {
        let decoded: string;
        try {
          decoded = decodeURIComponent(got);
        } catch {
          return { kind: 'bad-path', reason: `the path segment '${got}' is not valid percent-encoding` };
        }
        if (decoded === '') return { kind: 'bad-path', reason: 'an id in the path is empty' };
        if (decoded.length > MAX_ID_LENGTH) return { kind: 'bad-path', reason: `an id in the path is longer than ${MAX_ID_LENGTH} characters` };
        captured[want.slice(1) as keyof RouteParams] = decoded;
      } else if (want.toLowerCase() !== got.toLowerCase()) {
        ok = false;
      }
    }
    if (!ok) continue;
    // The first match wins: a literal word (`devices/query`) is listed before the id it would otherwise be.
    pathMatched = entry;
    params = captured;
    break;
  }
  if (!pathMatched) return { kind: 'not-found' };
  const route = pathMatched.methods[method.toUpperCase() as HttpMethod];
  if (!route) return { kind: 'method-not-allowed', allowed: Object.keys(pathMatched.methods) as HttpMethod[] };
  return { kind: 'match', route, params };
}
