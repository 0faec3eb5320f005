import {
  DEFAULT_IMAGE_PULL_POLICY,
  DEFAULT_RESTART_POLICY,
  DEFAULT_STARTUP_ORDER,
  type EdgeAgentConfig,
  type ImagePullPolicy,
  type ModuleSpec,
  type RegistryCredential,
  type RestartPolicy,
  type DesiredStatus,
  type ValidationResult,
} from './model.js';
import { IssueCollector } from './issue-collector.js';
import { pointer } from './json-pointer.js';
import { checkAgentSchemaVersion } from './schema-version.js';
import { agentSchemaIssues } from './compiled-schemas.js';
import { checkCreateOptionsShape, joinCreateOptions, type CreateOptionsProblem, type JoinedCreateOptions } from './create-options.js';
import { parseImageReference, type ImageParse } from './image-reference.js';
import { toK8sName } from './k8s-name.js';
import { setOwn } from './set-own.js';
import { BoundedCache } from './bounded-cache.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Twin metadata the hub adds to a desired section; not part of the deployment. */
const TWIN_METADATA_KEYS = ['$version', '$metadata'];

/**
 * Validates `$edgeAgent` desired properties as read from the twin (the agent's input) and
 * returns the normalized model. Twin metadata (`$version`, `$metadata`) is ignored.
 * Status: 417 when empty, 412 for an unsupported schemaVersion, 400 for anything else.
 * Paths are JSON pointers relative to the desired object.
 */
export function validateEdgeAgentDesired(desired: unknown): ValidationResult<EdgeAgentConfig> {
  const issues = new IssueCollector();
  const section = isObject(desired) ? withoutTwinMetadata(desired) : desired;
  const build = checkEdgeAgentDesired(section, '', issues);
  return issues.result(() => build!());
}

export function withoutTwinMetadata(desired: Json): Json {
  if (!TWIN_METADATA_KEYS.some((k) => k in desired)) return desired;
  const copy: Json = {};
  for (const [k, v] of Object.entries(desired)) if (!TWIN_METADATA_KEYS.includes(k)) setOwn(copy, k, v);
  return copy;
}

/** `__proto__` is legal for IoT Hub but cannot be stored safely in the JavaScript objects edgemu passes around. */
export const RESERVED_NAME_MESSAGE = '"__proto__" cannot be used as a name in edgemu (it is special in JavaScript objects); choose another name';

/** Module names IoT Edge reserves for its system modules (they share one module set with user modules). */
const SYSTEM_MODULES = ['edgeAgent', 'edgeHub'] as const;

/**
 * Records every problem of a `$edgeAgent` desired section into `issues` (pointers below
 * `base`) and returns a builder for the normalized model, valid to call only when no issue
 * was recorded. Never throws.
 */
export function checkEdgeAgentDesired(desired: unknown, base: string, issues: IssueCollector): (() => EdgeAgentConfig) | undefined {
  // EdgeAgentConnection: no desired content at all ⇒ ConfigEmptyError (417)
  if (desired === undefined || desired === null || (isObject(desired) && Object.keys(desired).length === 0)) {
    issues.add(417, base, 'the $edgeAgent desired properties are empty: a deployment needs schemaVersion, runtime and systemModules');
    return undefined;
  }
  if (!isObject(desired)) {
    issues.add(400, base, `the $edgeAgent desired properties must be a JSON object, got ${Array.isArray(desired) ? 'an array' : typeof desired}`);
    return undefined;
  }
  const before = issues.count;
  const version = checkAgentSchemaVersion(desired.schemaVersion);
  if (!version.ok) issues.add(412, pointer(base, 'schemaVersion'), version.message);
  // schema 1.1 is strict; 1.0 (and unknown versions, already a 412) use the tolerant schema
  const schemaKey = version.ok && version.version.minor === 1 ? '1.1' : '1.0';
  for (const issue of agentSchemaIssues(desired, schemaKey, base)) {
    if (issue.ignored) issues.warn(issue.message);
    else issues.add(400, issue.path, issue.message);
  }

  const parsed: ParsedSettings = new Map();
  const systemModules = isObject(desired.systemModules) ? desired.systemModules : {};
  const modules = isObject(desired.modules) ? desired.modules : {};
  for (const name of SYSTEM_MODULES) {
    const module = systemModules[name];
    if (isObject(module)) checkModule(name, module, base, 'systemModules', issues, parsed);
  }
  for (const [name, module] of Object.entries(modules)) {
    if (isObject(module)) checkModule(name, module, base, 'modules', issues, parsed);
  }

  // K8s-only rule (KubernetesPlanner: InvalidIdentityException): names must stay unique once sanitized.
  const byK8sName = new Map<string, string>();
  for (const name of SYSTEM_MODULES) byK8sName.set(cachedK8sName(name), name);
  for (const name of Object.keys(modules)) {
    if (name === '__proto__') {
      issues.add(400, pointer(base, 'modules', name), RESERVED_NAME_MESSAGE);
      continue;
    }
    if ((SYSTEM_MODULES as readonly string[]).includes(name)) {
      issues.add(400, pointer(base, 'modules', name), `"${name}" is a system module: configure it under systemModules, not modules`);
      continue;
    }
    const k8s = cachedK8sName(name);
    const other = byK8sName.get(k8s);
    if (other !== undefined) {
      issues.add(400, pointer(base, 'modules', name), `module name "${name}" collides with "${other}": both become "${k8s}" as a Kubernetes name; rename one of them`);
    } else byK8sName.set(k8s, name);
  }

  if (issues.count > before) return undefined;
  return () => normalize(desired, parsed);
}

/**
 * Env names. edgeAgent does no name check at all (`Agent.Core/EnvVal.cs`; `Agent.Docker/DockerModule.cs`
 * reads `env` as a plain dictionary and hands `NAME=value` to Docker), so `Logging:LogLevel:Microsoft`
 * (ASP.NET configuration style) is valid. What edgemu refuses is what no Kubernetes container can
 * carry: since Kubernetes 1.34 an env name is any printable ASCII but `=` (RelaxedEnvironmentVariableValidation,
 * kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container), and IoT Hub
 * twin keys already exclude whitespace, `.`, `$` and `#` (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-module-twins).
 * Ranges: `!"` then `%`…`-`, `/`…`<`, `>`…`~` (skipping `#$`, `.` and `=`).
 */
const ENV_NAME = /^[!"%-\-/-<>-~]+$/;

/**
 * Image references and the createOptions shape check remembered per string: a manifest
 * repeats them on every validation of the same (or a slightly changed) deployment. Both
 * results are only read. The shape check depends only on the joined text, since the parsed
 * createOptions are `JSON.parse` of it.
 */
const imageCache = new BoundedCache<ImageParse>(2048, 1024);
const createOptionsShapeCache = new BoundedCache<CreateOptionsProblem[]>(2048, 16 * 1024);

/** createOptions and image parsed while checking, reused by normalization (keyed by the settings object). */
type ParsedSettings = Map<Json, { joined: JoinedCreateOptions; image: ImageParse | undefined }>;

/**
 * Checks one module's settings and env. `base`/`group`/`name` locate it; pointers are built
 * only for problems (this runs for every module of every validation). No closures here:
 * under tsx (esbuild keepNames) every named closure costs an Object.defineProperty per call.
 */
function checkModule(name: string, module: Json, base: string, group: 'systemModules' | 'modules', issues: IssueCollector, parsed: ParsedSettings): void {
  const settings = module.settings;
  if (isObject(settings)) {
    const image = typeof settings.image === 'string' && settings.image.length > 0 ? cachedImage(settings.image) : undefined;
    const joined = joinCreateOptions(settings);
    parsed.set(settings, { joined, image });
    if (image) {
      if (!image.ok) issues.add(400, pointer(base, group, name, 'settings', 'image'), `module "${name}": ${image.message}`);
      else if (image.value.registry === '$upstream') issues.warn(`module "${name}" pulls through $upstream (nested edge); edgemu pulls images directly`);
    }
    if (!joined.ok) issues.add(400, pointer(base, group, name, 'settings', joined.key), `module "${name}": ${joined.message}`);
    else {
      const { value, raw } = joined;
      for (const key of joined.nonStringKeys) {
        issues.warn(`module "${name}": ${pointer(base, group, name, 'settings', key)} is written as JSON, not as a string; IoT Edge reads its JSON text (DockerConfig's converter) and so does edgemu, but the deployment schema and az CLI expect a string`);
      }
      for (const problem of createOptionsShapeCache.get(raw, () => checkCreateOptionsShape(value, raw))) {
        if (problem.warning) issues.warn(`module "${name}": createOptions${problem.at}: ${problem.message}`);
        else issues.add(400, pointer(base, group, name, 'settings', joined.chunkKeys[0]!), `module "${name}": createOptions${problem.at}: ${problem.message}`);
      }
    }
  }
  if (isObject(module.env)) {
    for (const [envName, entry] of Object.entries(module.env)) {
      if (envName === '__proto__') issues.add(400, pointer(base, group, name, 'env', envName), RESERVED_NAME_MESSAGE);
      else if (!ENV_NAME.test(envName)) {
        issues.add(400, pointer(base, group, name, 'env', envName), `module "${name}": env name ${JSON.stringify(envName)} cannot be set on a Kubernetes container: use printable ASCII characters other than "=" (and no whitespace, ".", "$" or "#", which twin keys forbid)`);
      } else if (isObject(entry) && (entry.value === null || entry.value === undefined)) {
        // EnvVal's constructor turns a null or missing value into "" (Agent.Core/EnvVal.cs)
        issues.warn(`module "${name}": env ${envName} has no value; IoT Edge sets it to the empty string (${pointer(base, group, name, 'env', envName)})`);
      }
    }
  }
}

/** `toK8sName` remembered per module name (several regular expressions per call). */
const k8sNameCache = new BoundedCache<string>(2048, 1024);

function cachedK8sName(name: string): string {
  return k8sNameCache.get(name, () => toK8sName(name));
}

function cachedImage(image: string): ImageParse {
  return imageCache.get(image, () => parseImageReference(image));
}

/** An env value as the agent holds it: EnvVal stores a string, null becomes "" (`Agent.Core/EnvVal.cs`). */
function envValue(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function normalizeModule(name: string, m: Json, parsed: ParsedSettings, defaults: { restartPolicy: RestartPolicy; startupOrder: number; status?: DesiredStatus }): ModuleSpec {
  const settings = m.settings as Json;
  const cached = parsed.get(settings);
  const joined = cached?.joined ?? joinCreateOptions(settings);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries((m.env as Json | undefined) ?? {})) setOwn(env, k, envValue((v as Json).value));
  const image = cached?.image ?? parseImageReference(settings.image as string);
  return {
    name,
    type: 'docker',
    version: typeof m.version === 'string' ? m.version : '',
    status: defaults.status ?? (m.status as DesiredStatus),
    restartPolicy: defaults.status ? defaults.restartPolicy : ((m.restartPolicy as RestartPolicy | undefined) ?? defaults.restartPolicy),
    imagePullPolicy: (m.imagePullPolicy as ImagePullPolicy | undefined) ?? DEFAULT_IMAGE_PULL_POLICY,
    startupOrder: defaults.status ? defaults.startupOrder : ((m.startupOrder as number | undefined) ?? defaults.startupOrder),
    image: image.ok ? image.value.normalized : (settings.image as string),
    createOptions: joined.ok ? joined.value : {},
    createOptionsRaw: joined.ok ? joined.raw : '',
    env,
  };
}

function normalize(d: Json, parsed: ParsedSettings): EdgeAgentConfig {
  const runtime = d.runtime as Json;
  const rs = runtime.settings as Json;
  const credentials: RegistryCredential[] = Object.entries((rs.registryCredentials as Json | undefined) ?? {})
    .map(([name, c]) => ({ name, address: String((c as Json).address), username: String((c as Json).username), password: String((c as Json).password) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const sys = d.systemModules as Json;
  const modules = (d.modules as Json | undefined) ?? {};
  return {
    schemaVersion: d.schemaVersion as string,
    runtime: {
      type: 'docker',
      minDockerVersion: typeof rs.minDockerVersion === 'string' ? rs.minDockerVersion : undefined,
      loggingOptions: typeof rs.loggingOptions === 'string' ? rs.loggingOptions : '',
      registryCredentials: credentials,
    },
    systemModules: {
      // EdgeAgentDockerModule: always running, restart always, startupOrder 0
      edgeAgent: normalizeModule('edgeAgent', sys.edgeAgent as Json, parsed, { status: 'running', restartPolicy: 'always', startupOrder: 0 }),
      // EdgeHubDockerModule: restartPolicy defaults to always; edgeHub starts with the runtime (order 0)
      edgeHub: normalizeModule('edgeHub', sys.edgeHub as Json, parsed, { restartPolicy: 'always', startupOrder: 0 }),
    },
    modules: Object.keys(modules)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((name) => normalizeModule(name, modules[name] as Json, parsed, { restartPolicy: DEFAULT_RESTART_POLICY, startupOrder: DEFAULT_STARTUP_ORDER })),
  };
}
