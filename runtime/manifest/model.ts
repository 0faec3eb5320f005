/**
 * The normalized, typed deployment model every other part of edgemu works with. The
 * validator (`validate-manifest.ts`) is the only producer: it applies IoT Edge's defaults
 * (learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub) so consumers never re-derive them.
 */

/** `lastDesiredStatus.code` values as IoT Edge reports them (learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub). */
export type DeploymentStatusCode = 200 | 400 | 406 | 412 | 417 | 500;

export type RestartPolicy = 'never' | 'on-failure' | 'on-unhealthy' | 'always';
export type ImagePullPolicy = 'on-create' | 'never';
export type DesiredStatus = 'running' | 'stopped';

/** Defaults from IoT Edge's agent (`Agent.Core/Constants.cs`, `IModule.cs`). */
export const DEFAULT_RESTART_POLICY: RestartPolicy = 'on-unhealthy';
export const DEFAULT_IMAGE_PULL_POLICY: ImagePullPolicy = 'on-create';
export const DEFAULT_STARTUP_ORDER = 4294967295;

/** A parsed Docker `ContainerCreate` body (the joined createOptions chunks, JSON-parsed). */
export type CreateOptions = Record<string, unknown>;

export interface RegistryCredential {
  /** The key under `runtime.settings.registryCredentials`. */
  name: string;
  address: string;
  username: string;
  password: string;
}

export interface ModuleSpec {
  /** The module name exactly as written in the manifest (`edgeAgent`/`edgeHub` for system modules). */
  name: string;
  type: 'docker';
  /** `modules.<name>.version`, default `""`. */
  version: string;
  status: DesiredStatus;
  restartPolicy: RestartPolicy;
  imagePullPolicy: ImagePullPolicy;
  /** 0 … 4294967295, default 4294967295. */
  startupOrder: number;
  /** Image reference with a tag (`:latest` appended when none was given). */
  image: string;
  /** The createOptions chunks joined and parsed; `{}` when absent, empty or `"null"`. */
  createOptions: CreateOptions;
  /** The createOptions string as joined from its chunks (for reporting `settings` back). */
  createOptionsRaw: string;
  /** `env.<NAME>.value`, every value as a string. */
  env: Record<string, string>;
}

export interface RuntimeSettings {
  type: 'docker';
  minDockerVersion: string | undefined;
  loggingOptions: string;
  registryCredentials: RegistryCredential[];
}

export interface EdgeAgentConfig {
  /** The schemaVersion as written (`1.0`, `1.1`, `1.1.0`, …). */
  schemaVersion: string;
  runtime: RuntimeSettings;
  systemModules: { edgeAgent: ModuleSpec; edgeHub: ModuleSpec };
  /** User modules, sorted by name. */
  modules: ModuleSpec[];
}

export interface RouteSpec {
  name: string;
  /** The route text, `FROM … [WHERE …] INTO …`. */
  route: string;
  /** 0 (highest) … 9; IoT Edge's internal default for string routes is 2000000000. */
  priority: number;
  /** Per-route TTL in seconds; 0 means "inherit the store-and-forward TTL". */
  timeToLiveSecs: number;
}

/** Priority of routes written as plain strings (`RouteFactory.DefaultPriority`). */
export const DEFAULT_ROUTE_PRIORITY = 2000000000;

export interface EdgeHubConfig {
  schemaVersion: string;
  /** Sorted by name. */
  routes: RouteSpec[];
  /** `storeAndForwardConfiguration.timeToLiveSecs`; negative means infinite; default 7200. */
  storeAndForwardTimeToLiveSecs: number;
  /** `storeAndForwardConfiguration.storeLimits.maxSizeBytes`; absent = no size limit. */
  storeMaxSizeBytes?: number;
}

/** A whole, valid deployment: what `validate` accepts and `deploy` writes into twins. */
export interface Deployment {
  edgeAgent: EdgeAgentConfig;
  edgeHub: EdgeHubConfig;
  /** Desired properties of every other module twin listed in the manifest, by module name. */
  moduleTwins: Record<string, Record<string, unknown>>;
  /** `modulesContent` exactly as submitted (after unwrapping `content`/`moduleContent`). */
  modulesContent: Record<string, { 'properties.desired': Record<string, unknown> }>;
}

export interface ValidationIssue {
  /** JSON pointer into the submitted document (RFC 6901), e.g. `/modulesContent/$edgeAgent/properties.desired/modules/sensor/status`. */
  path: string;
  message: string;
}

/** The outcome of validation: the status IoT Edge would report, every problem found, and the model when valid. */
export type ValidationResult<T> =
  | { status: 200; errors: []; warnings: string[]; value: T }
  | { status: Exclude<DeploymentStatusCode, 200>; errors: ValidationIssue[]; warnings: string[]; value?: undefined };
