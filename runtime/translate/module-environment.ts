import { TranslateError } from './translate-error.js';

/**
 * The environment IoT Edge gives a module container, as a pure function of its inputs. Used
 * twice: by the Kubernetes translation (the connection string comes from a Secret through
 * `valueFrom.secretKeyRef`, the CA file from a ConfigMap volume) and by `edgemu module run/env`
 * on the host (plain values).
 *
 * What a module needs to connect (Azure/iotedge doc/EnvironmentVariables.md; docs/iot-hub-protocol.md "Connect"):
 * `ModuleClient.fromEnvironment` uses `EdgeHubConnectionString` directly when it is set
 * (`HostName=<hub>;DeviceId=…;ModuleId=…;SharedAccessKey=…;GatewayHostName=<host:port>`) and
 * trusts the PEM file named by `EdgeModuleCACertificateFile`. The `IOTEDGE_*` variables are
 * injected as well, as edgelet does (Azure/iotedge doc/EnvironmentVariables.md), because modules read them for their own identity;
 * `IOTEDGE_WORKLOADURI` is injected only when a workload API is offered, since without it the
 * SDK takes the connection-string path.
 */

/** `IOTEDGE_AUTHSCHEME`: the only scheme IoT Edge and the SDK know (Azure/iotedge doc/EnvironmentVariables.md). */
export const IOTEDGE_AUTH_SCHEME = 'sasToken';
/** `IOTEDGE_APIVERSION` default: the edgelet API version aziot-edged 1.4/1.5 sets (Azure/iotedge doc/EnvironmentVariables.md). */
export const DEFAULT_IOTEDGE_API_VERSION = '2022-08-03';
/** `RuntimeLogLevel` default when neither the caller nor the manifest sets one. */
export const DEFAULT_RUNTIME_LOG_LEVEL = 'info';

/** Where a value comes from: inline (host processes) or a key of a Kubernetes Secret (pods). */
export type EnvValueSource = { value: string } | { secretKeyRef: { name: string; key: string } };

/** One resolved variable. Structurally a Kubernetes `V1EnvVar` (before `$` escaping). */
export type ModuleEnvVar = { name: string; value: string } | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } };

export interface ModuleEnvironmentInput {
  /** The edge device id (`IOTEDGE_DEVICEID`). */
  deviceId: string;
  /** The module identity id, i.e. the manifest module name (`IOTEDGE_MODULEID`). */
  moduleId: string;
  /** The IoT Hub host name the identities belong to (`IOTEDGE_IOTHUBHOSTNAME`, `HostName=`). */
  iotHubHostName: string;
  /** Where the module reaches the hub, `host` or `host:port` (`IOTEDGE_GATEWAYHOSTNAME`, `GatewayHostName=`). */
  gatewayHostName: string;
  /** The module identity's generation id (`IOTEDGE_MODULEGENERATIONID`); omitted when unknown. */
  generationId?: string | undefined;
  /** `IOTEDGE_APIVERSION`; default {@link DEFAULT_IOTEDGE_API_VERSION}. */
  apiVersion?: string | undefined;
  /** `RuntimeLogLevel` unless the module sets it itself; default {@link DEFAULT_RUNTIME_LOG_LEVEL}. */
  logLevel?: string | undefined;
  /** `IOTEDGE_WORKLOADURI`, only when a workload API is served. */
  workloadUri?: string | undefined;
  /** The manifest's `modules.<name>.env` (values already strings). */
  manifestEnv?: Readonly<Record<string, string>> | undefined;
  /** `createOptions.Env`, Docker's `["NAME=value"]` list. */
  createOptionsEnv?: readonly unknown[] | undefined;
  /** The module's own connection string (`EdgeHubConnectionString`). */
  connectionString: EnvValueSource;
  /** Path of the hub CA PEM as the module sees it (`EdgeModuleCACertificateFile`). */
  caCertificateFile: string;
}

export interface ModuleEnvironment {
  /** Every variable, sorted by name (order carries no meaning: pods get `$` escaped, see {@link toContainerEnv}). */
  vars: ModuleEnvVar[];
  /** Things the caller should tell the user: overridden or ignored entries. */
  warnings: string[];
}

/**
 * Variables edgemu always sets: a manifest or createOptions value for them is replaced (edgelet
 * appends its own values after the manifest's, so Docker keeps the injected one —
 * `Agent.Edgelet/commands/CreateOrUpdateCommand.cs GetEnvVars`).
 */
export const INJECTED_ENV_NAMES = [
  'EdgeHubConnectionString',
  'EdgeModuleCACertificateFile',
  'IOTEDGE_APIVERSION',
  'IOTEDGE_AUTHSCHEME',
  'IOTEDGE_DEVICEID',
  'IOTEDGE_GATEWAYHOSTNAME',
  'IOTEDGE_IOTHUBHOSTNAME',
  'IOTEDGE_MODULEGENERATIONID',
  'IOTEDGE_MODULEID',
  'IOTEDGE_WORKLOADURI',
] as const;

/**
 * Builds a module's environment. Precedence, lowest first:
 * 1. `createOptions.Env` (`NAME=value`, split at the first `=`; entries without `=` are ignored with a warning);
 * 2. manifest `env` (the manifest wins over createOptions, as the issue and edgelet's merge do);
 * 3. injected variables ({@link INJECTED_ENV_NAMES}) always win, with a warning when the module tried to set one;
 * 4. `RuntimeLogLevel` is injected only when the module did not set it (edgelet: "only if the manifest did not").
 */
export function moduleEnvironment(input: ModuleEnvironmentInput): ModuleEnvironment {
  const warnings: string[] = [];
  const vars = new Map<string, ModuleEnvVar>();
  const userSet = new Set<string>();

  (input.createOptionsEnv ?? []).forEach((entry, index) => {
    if (typeof entry !== 'string') {
      warnings.push(`createOptions.Env[${index}] is not a string and was ignored`);
      return;
    }
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      // Docker treats `NAME` without `=` as "unset NAME"; a container starts with no such variable.
      warnings.push(`createOptions.Env[${index}] ${JSON.stringify(entry)} has no NAME=value form and was ignored`);
      return;
    }
    const name = entry.slice(0, eq);
    vars.set(name, { name, value: entry.slice(eq + 1) });
    userSet.add(name);
  });
  for (const [name, value] of Object.entries(input.manifestEnv ?? {})) {
    vars.set(name, { name, value });
    userSet.add(name);
  }

  const injected: [string, EnvValueSource | undefined][] = [
    ['EdgeHubConnectionString', input.connectionString],
    ['EdgeModuleCACertificateFile', { value: input.caCertificateFile }],
    ['IOTEDGE_APIVERSION', { value: input.apiVersion ?? DEFAULT_IOTEDGE_API_VERSION }],
    ['IOTEDGE_AUTHSCHEME', { value: IOTEDGE_AUTH_SCHEME }],
    ['IOTEDGE_DEVICEID', { value: input.deviceId }],
    ['IOTEDGE_GATEWAYHOSTNAME', { value: input.gatewayHostName }],
    ['IOTEDGE_IOTHUBHOSTNAME', { value: input.iotHubHostName }],
    ['IOTEDGE_MODULEGENERATIONID', input.generationId === undefined ? undefined : { value: input.generationId }],
    ['IOTEDGE_MODULEID', { value: input.moduleId }],
    ['IOTEDGE_WORKLOADURI', input.workloadUri === undefined ? undefined : { value: input.workloadUri }],
  ];
  for (const [name, source] of injected) {
    if (userSet.has(name)) {
      warnings.push(`module ${input.moduleId}: env ${name} is set by edgemu; the module's own value is ignored`);
      vars.delete(name);
    }
    if (source !== undefined) vars.set(name, toVar(name, source));
  }
  if (!userSet.has('RuntimeLogLevel')) vars.set('RuntimeLogLevel', { name: 'RuntimeLogLevel', value: input.logLevel ?? DEFAULT_RUNTIME_LOG_LEVEL });

  return { vars: [...vars.values()].sort((a, b) => compareNames(a.name, b.name)), warnings };
}

const toVar = (name: string, source: EnvValueSource): ModuleEnvVar =>
  'value' in source ? { name, value: source.value } : { name, valueFrom: { secretKeyRef: { name: source.secretKeyRef.name, key: source.secretKeyRef.key } } };

/** Ordinal comparison, so the order never depends on the locale. */
const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The plain `NAME → value` map a host process gets (`edgemu module run/env`). Throws
 * `TRANSLATE_INVALID_CONTEXT` if a value still points into a Kubernetes Secret.
 */
export function toProcessEnv(vars: readonly ModuleEnvVar[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of vars) {
    if (!('value' in v)) {
      throw new TranslateError('TRANSLATE_INVALID_CONTEXT', `env ${v.name} refers to a Kubernetes Secret; a host process needs a plain value`);
    }
    env[v.name] = v.value;
  }
  return env;
}

/**
 * Kubernetes' env var name rule since 1.34, where `RelaxedEnvironmentVariableValidation` is on
 * by default (Kubernetes docs "Define Environment Variables for a Container": "any printable
 * ASCII characters except `=`"; `validation.IsRelaxedEnvVarName`: non-empty, every byte in
 * 32..126, no `=`). edgemu's cluster runs a newer release, so ASP.NET-style names such as
 * `Logging:LogLevel:Microsoft` (which Docker and edgeAgent pass through unchecked) are kept.
 */
export const K8S_ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;
/** The rule releases before 1.34 enforce (`validation.IsEnvVarName`); documented for users of older clusters. */
export const K8S_PORTABLE_ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * The container `env` list for a pod. Refuses names Kubernetes cannot take
 * (`TRANSLATE_INVALID_ENV_NAME`) instead of mangling them, and escapes every `$` as `$$`:
 * the kubelet expands `$(NAME)` references in env values while Docker does not, and `$$` is
 * Kubernetes' escape (`third_party/forked/golang/expansion`), so values reach the module verbatim.
 */
export function toContainerEnv(vars: readonly ModuleEnvVar[], moduleName: string): ModuleEnvVar[] {
  const bad = vars.filter((v) => !K8S_ENV_NAME.test(v.name)).map((v) => v.name);
  if (bad.length > 0) {
    throw new TranslateError(
      'TRANSLATE_INVALID_ENV_NAME',
      `module ${moduleName}: Kubernetes cannot take the env var name${bad.length > 1 ? 's' : ''} ${bad.map((n) => JSON.stringify(n)).join(', ')} (names must be printable ASCII without '=')`,
      { module: moduleName, names: bad },
    );
  }
  return vars.map((v) => ('value' in v ? { name: v.name, value: escapeKubernetesExpansion(v.value) } : v));
}

/** Doubles every `$`, the inverse of the kubelet's `$(VAR)` expansion (`$$` → `$`). */
export const escapeKubernetesExpansion = (s: string): string => s.replaceAll('$', '$$$$');

export interface ModuleConnectionStringParts {
  /** The IoT Hub host name (`HostName=`). */
  hostName: string;
  deviceId: string;
  moduleId: string;
  /** The module identity's base64 key. */
  sharedAccessKey: string;
  /** `host` or `host:port` of the gateway (edgemu's hub as the module reaches it). */
  gatewayHostName?: string | undefined;
}

/**
 * A module connection string in IoT Edge's field order (`Agent.Core/ModuleConnectionStringBuilder.cs`):
 * `HostName=…;DeviceId=…;ModuleId=…;SharedAccessKey=…[;GatewayHostName=…]`. The SDK splits on
 * `;` (azure-iot-common `createDictionary`), so an id containing `;` cannot be carried: that is
 * refused with `TRANSLATE_UNREPRESENTABLE_CONNECTION_STRING`.
 */
export function moduleConnectionString(parts: ModuleConnectionStringParts): string {
  const fields: [string, string | undefined][] = [
    ['HostName', parts.hostName],
    ['DeviceId', parts.deviceId],
    ['ModuleId', parts.moduleId],
    ['SharedAccessKey', parts.sharedAccessKey],
    ['GatewayHostName', parts.gatewayHostName],
  ];
  for (const [key, value] of fields) {
    if (value !== undefined && value.includes(';')) {
      throw new TranslateError('TRANSLATE_UNREPRESENTABLE_CONNECTION_STRING', `${key} ${JSON.stringify(value)} contains ';', which a connection string cannot carry`, { field: key });
    }
  }
  return fields
    .filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
}
