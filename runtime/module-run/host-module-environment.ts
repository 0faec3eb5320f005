import { validateEdgeAgentDesired } from '../manifest/index.js';
import { moduleConnectionString, moduleEnvironment, toProcessEnv } from '../translate/index.js';

/** The IoT Hub MQTT-over-TLS port the SDK dials when GatewayHostName carries none (docs/iot-hub-protocol.md "Connect"). */
const DEFAULT_MQTTS_PORT = 8883;

export interface HostModuleEnvironmentInput {
  deviceId: string;
  moduleId: string;
  /** The module identity's key and generation id from the hub's registry. */
  identity: { primaryKey: string; generationId: string };
  /**
   * The hub: its host name (IoT Hub's `HostName`, the SAS audience) and MQTT-over-TLS port.
   * `gatewayHost` is where a process on this host dials it; default `localhost`, which the hub's
   * certificate always covers and which resolves on every machine, whatever `--host` names the hub.
   */
  hub: { hostName: string; mqttsPort: number; gatewayHost?: string | undefined };
  /** Absolute path of the CA certificate the hub's TLS certificate chains to. */
  caFile: string;
  /** The device's `$edgeAgent` desired properties as stored (undefined when nothing was deployed). */
  edgeAgentDesired: unknown;
  /** edgemu's own `--log-level`, passed on as `RuntimeLogLevel` (see {@link runtimeLogLevelOf}) unless the manifest sets it. */
  logLevel?: string | undefined;
}

/**
 * edgemu's log level (pino's names) as IoT Edge's `RuntimeLogLevel`, which the agent hands every
 * module with its own level (Azure/iotedge doc/EnvironmentVariables.md) and whose values are `fatal`, `error`,
 * `warning`, `info`, `debug` and `verbose`. `silent` only quiets edgemu's own output (e.g.
 * `module env --log-level silent > filter.env`), so the module keeps the default (undefined here).
 */
export function runtimeLogLevelOf(level: string | undefined): string | undefined {
  switch (level) {
    case undefined:
    case 'silent':
      return undefined;
    case 'warn':
      return 'warning';
    case 'trace':
      return 'verbose';
    default:
      return level;
  }
}

export interface HostModuleEnvironment {
  /** Plain `NAME → value`, the variables a pod of this module would get. */
  env: Record<string, string>;
  /** Whether the deployed manifest lists this module (its `env` and `createOptions.Env` were applied). */
  inManifest: boolean;
  /** Why manifest env was not applied, overridden variables, and similar notes for the user. */
  warnings: string[];
}

/**
 * The environment of a module run on the host, built with the same function the Kubernetes
 * translation uses (`runtime/translate/module-environment.ts`), so a module debugged with
 * `edgemu module run` sees exactly the variables its pod would (Azure/iotedge doc/EnvironmentVariables.md):
 * `EdgeHubConnectionString` (`HostName=<hub>;DeviceId;ModuleId;SharedAccessKey;GatewayHostName=<host:port>`),
 * `EdgeModuleCACertificateFile`, the `IOTEDGE_*` identity variables, `RuntimeLogLevel`, and
 * the module's `env` and `createOptions.Env` from the manifest deployed to the device (its
 * `$edgeAgent` desired twin). Only the values differ: the host reaches the hub at its local
 * address and reads the CA file from the state dir.
 */
export function hostModuleEnvironment(input: HostModuleEnvironmentInput): HostModuleEnvironment {
  const warnings: string[] = [];
  const spec = deployedModule(input.edgeAgentDesired, input.moduleId, input.deviceId, warnings);
  const gatewayHost = input.hub.gatewayHost ?? 'localhost';
  const gatewayHostName = input.hub.mqttsPort === DEFAULT_MQTTS_PORT ? gatewayHost : `${gatewayHost}:${input.hub.mqttsPort}`;
  const createOptionsEnv = spec?.createOptions.Env;
  if (createOptionsEnv !== undefined && !Array.isArray(createOptionsEnv)) warnings.push(`module ${input.moduleId}: createOptions.Env is not a list and was ignored`);
  const built = moduleEnvironment({
    deviceId: input.deviceId,
    moduleId: input.moduleId,
    iotHubHostName: input.hub.hostName,
    gatewayHostName,
    generationId: input.identity.generationId,
    logLevel: runtimeLogLevelOf(input.logLevel),
    manifestEnv: spec?.env,
    createOptionsEnv: Array.isArray(createOptionsEnv) ? createOptionsEnv : undefined,
    connectionString: {
      value: moduleConnectionString({
        hostName: input.hub.hostName,
        deviceId: input.deviceId,
        moduleId: input.moduleId,
        sharedAccessKey: input.identity.primaryKey,
        gatewayHostName,
      }),
    },
    caCertificateFile: input.caFile,
  });
  return { env: toProcessEnv(built.vars), inManifest: spec !== undefined, warnings: [...warnings, ...built.warnings] };
}

/** The module's spec in the deployed `$edgeAgent` desired properties, or undefined with a warning saying why. */
function deployedModule(desired: unknown, moduleId: string, deviceId: string, warnings: string[]) {
  const meaningful = typeof desired === 'object' && desired !== null && Object.keys(desired).some((k) => !k.startsWith('$'));
  if (!meaningful) {
    warnings.push(`nothing is deployed to device ${deviceId}; module ${moduleId} gets IoT Edge's variables but no manifest env`);
    return undefined;
  }
  const result = validateEdgeAgentDesired(desired);
  if (result.status !== 200) {
    warnings.push(`the $edgeAgent desired properties of device ${deviceId} are invalid (${result.status}); module ${moduleId} gets no manifest env`);
    return undefined;
  }
  const spec = result.value.modules.find((m) => m.name === moduleId);
  if (!spec) {
    const names = result.value.modules.map((m) => m.name);
    warnings.push(
      `module ${moduleId} is not in the manifest deployed to device ${deviceId} (modules: ${names.length > 0 ? names.join(', ') : 'none'}); it gets no manifest env`,
    );
  }
  return spec;
}
