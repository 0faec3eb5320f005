// Over ~400 lines: the one pure walk from a deployment to its objects (namespace, device Services,
// per-module Deployment/Service/Secrets/PVCs); the per-field mappings live in the map-* files.
import type {
  V1ConfigMap,
  V1ContainerPort,
  V1Container,
  V1Deployment,
  V1EndpointSlice,
  V1EnvVar,
  V1LocalObjectReference,
  V1Namespace,
  V1PersistentVolumeClaim,
  V1PodSpec,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1Service,
  V1ServiceAccount,
  V1Volume,
} from '@kubernetes/client-node';
import { toK8sName } from '../manifest/index.js';
import { parseImageReference } from '../manifest/index.js';
import { fullImageName } from '../image/index.js';
import type { EdgeAgentConfig, ModuleSpec } from '../manifest/index.js';
import {
  ANNOTATION_DEVICE_ID,
  ANNOTATION_MODULE_NAME,
  ANNOTATION_MODULE_VERSION,
  ANNOTATION_PLACEHOLDER,
  ANNOTATION_RESTART_POLICY,
  ANNOTATION_SPEC_HASH,
  ANNOTATION_STAND_IN,
  ANNOTATION_STARTUP_ORDER,
  ANNOTATION_VOLUME_NAME,
} from './labels.js';
import { DEFAULT_LAYOUT, type Layout } from './layout.js';
import { agentRbacObjects } from './agent-rbac.js';
import { HUB_CA_FILE, HUB_CA_MOUNT_PATH, HUB_CA_VOLUME, mapCreateOptions, distinctK8sName } from './map-create-options.js';
import { escapeKubernetesExpansion, moduleConnectionString, moduleEnvironment, toContainerEnv } from './module-environment.js';
import { specHash } from './spec-hash.js';
import { EDGEHUB_SERVICE, edgeHubObjects, type HubEndpoint } from './edgehub-service.js';
import { effectivePlacement, placementPodFields, type ModulePlacement } from './placement.js';
import { assertDistinctNames, TranslateError } from './translate-error.js';
import { pullSecretsFor, registrySecrets, type RegistryRef } from './registry-secrets.js';

/**
 * The whole mapping from a validated `$edgeAgent` configuration to the Kubernetes objects of
 * one edge device (docs/translate.md; IoT Edge's retired Kubernetes mode, Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Kubernetes/, with its
 * known flaws fixed). Pure: no I/O, same input → deeply equal output with the same key order.
 * The agent applies the objects with server-side apply (field manager `edgemu`, labels.ts).
 */

/** A module identity's secret material, as the hub's registry holds it. */
export interface ModuleIdentity {
  /** The primary key (base64); edgemu builds the connection string from it. */
  sharedAccessKey?: string | undefined;
  /** A ready connection string; used as given (wins over `sharedAccessKey`). */
  connectionString?: string | undefined;
  /** `IOTEDGE_MODULEGENERATIONID`. */
  generationId?: string | undefined;
}

export interface TranslateContext {
  /** The edge device id as registered in the hub. */
  deviceId: string;
  /** The IoT Hub host name identities belong to (`HostName=` of connection strings). */
  iotHubHostName: string;
  /** How pods reach edgemu's hub: `host` or `host:port` (must be in the hub certificate's names). */
  gatewayHostName: string;
  /** The hub CA PEM modules must trust; `undefined` writes a marked placeholder and warns. */
  hubCaPem: string | undefined;
  /** Module identities by module name; a module without one gets a marked placeholder Secret and a warning. */
  identities?: Readonly<Record<string, ModuleIdentity>> | undefined;
  /** `RuntimeLogLevel` for modules that do not set it. */
  logLevel?: string | undefined;
  /** `IOTEDGE_APIVERSION`. */
  apiVersion?: string | undefined;
  /** `IOTEDGE_WORKLOADURI`, only if a workload API is served to pods. */
  workloadUri?: string | undefined;
  /** PVCs for Docker named volumes: size (default `1Gi`), access modes (default `[ReadWriteOnce]`), storage class (default: the cluster's). */
  storage?: { size?: string; accessModes?: string[]; storageClassName?: string } | undefined;
  /**
   * The hub as pods reach it on the cluster's pod network (the local cluster's real node): each
   * device namespace then gets an `edgehub` Service pointing at it, and pods name `edgehub` as
   * their gateway instead of `gatewayHostName`.
   */
  hubEndpoint?: HubEndpoint | undefined;
  /** Node pool per module name (the agent decides it); absent = `any`, no selector. */
  placement?: Readonly<Record<string, ModulePlacement>> | undefined;
  /** Image references the node serves with edgemu's stand-in (from `ensureManifestImages`); their modules are annotated. */
  standInImages?: readonly string[] | undefined;
  /** Where and under which names the objects go (runtime/translate/layout.ts); default {@link DEFAULT_LAYOUT}. */
  layout?: Layout | undefined;
}

export type TranslatedObject =
  | V1Namespace
  | V1ConfigMap
  | V1Secret
  | V1PersistentVolumeClaim
  | V1ServiceAccount
  | V1Service
  | V1EndpointSlice
  | V1Role
  | V1RoleBinding
  | V1Deployment;

/** Everything one module owns; the agent plans these per startupOrder group. */
export interface ModuleTranslation {
  /** The module name as in the manifest. */
  name: string;
  /** Its Kubernetes name (Deployment, Service, ServiceAccount, container). */
  k8sName: string;
  startupOrder: number;
  status: ModuleSpec['status'];
  /** The `edgemu.io/spec-hash` annotation value: changes with anything but the desired status. */
  specHash: string;
  /** ServiceAccount, identity Secret, Service (headless, for the module's name), Deployment — in apply order. */
  objects: TranslatedObject[];
  deployment: V1Deployment;
  warnings: string[];
}

export interface DeviceTranslation {
  namespace: string;
  /** Namespace, the layout's agent RBAC, hub CA ConfigMap, `edgehub` Service + EndpointSlice (with a hub endpoint), registry Secrets, PVCs — shared by the device's modules. */
  deviceObjects: TranslatedObject[];
  /** User modules, by startupOrder then name (edgeAgent and edgeHub run inside edgemu: no workloads). */
  modules: ModuleTranslation[];
  /** Every object in apply order: device objects, then each module's. */
  objects: TranslatedObject[];
  /** Every warning (module warnings are prefixed with `module <name>:`). */
  warnings: string[];
}

/** Name of a module's identity Secret; its key {@link IDENTITY_SECRET_KEY} holds the connection string. */
export const identitySecretName = (moduleName: string): string => `edgemu-identity-${toK8sName(moduleName)}`;
export const IDENTITY_SECRET_KEY = 'connectionString';
/** The ConfigMap holding the hub CA (key {@link HUB_CA_FILE}). */
export const HUB_CA_CONFIG_MAP = 'edgemu-hub-ca';

/** What a Secret holds when the module's key is unknown; the hub refuses it, the pod still starts. */
export const PLACEHOLDER_KEY = 'EDGEMU-PLACEHOLDER-create-the-module-identity-and-translate-again';
export const PLACEHOLDER_CA = '# edgemu placeholder: no hub CA was available when these objects were made.\n';

const SYSTEM_MODULES = new Set(['edgeAgent', 'edgeHub', '$edgeAgent', '$edgeHub']);
const ordinal = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sortKeys = (o: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => ordinal(a, b)));
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Translates one device's `$edgeAgent` configuration into Kubernetes objects. */
export function translateDeployment(config: EdgeAgentConfig, context: TranslateContext): DeviceTranslation {
  for (const key of ['deviceId', 'iotHubHostName', 'gatewayHostName'] as const) {
    if (typeof context[key] !== 'string' || context[key].trim() === '') {
      throw new TranslateError('TRANSLATE_INVALID_CONTEXT', `the translation needs a non-empty ${key}`, { field: key });
    }
  }
  if (context.hubEndpoint !== undefined && !/^(\d{1,3})(\.\d{1,3}){3}$/.test(context.hubEndpoint.ip)) {
    throw new TranslateError('TRANSLATE_INVALID_CONTEXT', `the hub endpoint ${JSON.stringify(context.hubEndpoint.ip)} is not an IPv4 address`, { field: 'hubEndpoint' });
  }
  const warnings: string[] = [];
  const layout = context.layout ?? DEFAULT_LAYOUT;
  const namespace = layout.namespace(context.deviceId);
  const deviceLabels = layout.deviceLabels(context.deviceId, context.iotHubHostName);

  const modules = config.modules.filter((m) => {
    if (!SYSTEM_MODULES.has(m.name)) return true;
    warnings.push(`module ${m.name}: ${m.name} is emulated inside edgemu and gets no workload`);
    return false;
  });
  assertDistinctNames(modules.map((m) => [m.name, toK8sName(m.name)]), 'module');
  assertNotReserved(modules, layout);

  const registry = registrySecrets(config.runtime.registryCredentials, { labels: deviceLabels, namespace });
  // In startupOrder, then name: a host port two modules bind goes to the one that starts first.
  const hostPorts = new Map<string, string>();
  const standIns = new Set((context.standInImages ?? []).map(normalizedImage));
  const sortedModules = [...modules]
    .sort((a, b) => a.startupOrder - b.startupOrder || ordinal(a.name, b.name))
    .map((m) => translateModule(m, context, layout, namespace, registry.credentials, hostPorts, standIns));
  const translated = sortedModules;

  // Named volumes are shared by name across modules, as Docker volumes are: one PVC each.
  const volumeNames = [...new Set(translated.flatMap((t) => t.namedVolumes))].sort(ordinal);
  assertDistinctNames(volumeNames.map((v) => [v, distinctK8sName(v)]), 'volume');
  const pvcs: V1PersistentVolumeClaim[] = volumeNames.map((v) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: distinctK8sName(v), namespace, labels: { ...deviceLabels }, annotations: { [ANNOTATION_VOLUME_NAME]: v } },
    spec: {
      accessModes: context.storage?.accessModes ?? ['ReadWriteOnce'],
      resources: { requests: { storage: context.storage?.size ?? '1Gi' } },
      ...(context.storage?.storageClassName === undefined ? {} : { storageClassName: context.storage.storageClassName }),
    },
  }));

  if (context.hubCaPem === undefined) warnings.push(`no hub CA was given: ConfigMap ${HUB_CA_CONFIG_MAP} holds a placeholder and modules cannot verify the hub's TLS certificate`);
  const caConfigMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: HUB_CA_CONFIG_MAP,
      namespace,
      labels: { ...deviceLabels },
      ...(context.hubCaPem === undefined ? { annotations: { [ANNOTATION_PLACEHOLDER]: 'true' } } : {}),
    },
    data: { [HUB_CA_FILE]: context.hubCaPem ?? PLACEHOLDER_CA },
  };
  const ns: V1Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace, labels: { ...deviceLabels }, annotations: { [ANNOTATION_DEVICE_ID]: context.deviceId } },
  };

  const edgeHub = context.hubEndpoint === undefined ? [] : edgeHubObjects(deviceLabels, namespace, context.hubEndpoint, layout.edgeHub);
  const rbac = layout.agentRbac ? agentRbacObjects(namespace, deviceLabels) : [];
  const deviceObjects: TranslatedObject[] = [ns, ...rbac, caConfigMap, ...edgeHub, ...registry.secrets, ...pvcs];
  const moduleResults: ModuleTranslation[] = sortedModules.map(({ namedVolumes: _n, ...rest }) => rest);
  for (const m of moduleResults) warnings.push(...m.warnings.map((w) => `module ${m.name}: ${w}`));
  return { namespace, deviceObjects, modules: moduleResults, objects: [...deviceObjects, ...moduleResults.flatMap((m) => m.objects)], warnings };
}

// ---------------------------------------------------------------------------------------------

interface ModuleResult extends ModuleTranslation {
  namedVolumes: string[];
}

function translateModule(
  module: ModuleSpec,
  context: TranslateContext,
  layout: Layout,
  namespace: string,
  registries: RegistryRef[],
  hostPorts: Map<string, string>,
  standIns: ReadonlySet<string>,
): ModuleResult {
  const warnings: string[] = [];
  const name = toK8sName(module.name);
  const labels = layout.moduleLabels(context.deviceId, module.name, context.iotHubHostName);
  const selectorLabels = layout.moduleSelectorLabels(context.deviceId, module.name);
  const mapped = mapCreateOptions(module.createOptions, (w) => warnings.push(w));
  claimHostPorts(module.name, mapped.containerPorts, hostPorts, (w) => warnings.push(w));
  // With the hub on the pod network, pods dial the namespace's `edgehub` Service (port 8883).
  const gatewayHostName = context.hubEndpoint === undefined ? context.gatewayHostName : EDGEHUB_SERVICE;

  // Identity: the module's own connection string, in a Secret, never inline in the pod spec.
  // Own properties only: a module may be called `__proto__` or `constructor` (the manifest allows it).
  const identity = context.identities !== undefined && Object.hasOwn(context.identities, module.name) ? context.identities[module.name] : undefined;
  let connectionString: string;
  let placeholder = false;
  if (identity?.connectionString !== undefined) connectionString = identity.connectionString;
  else {
    placeholder = identity?.sharedAccessKey === undefined;
    if (placeholder) warnings.push(`no identity key is known for this module; Secret ${identitySecretName(module.name)} holds a placeholder key the hub will refuse`);
    connectionString = moduleConnectionString({
      hostName: context.iotHubHostName,
      deviceId: context.deviceId,
      moduleId: module.name,
      sharedAccessKey: identity?.sharedAccessKey ?? PLACEHOLDER_KEY,
      gatewayHostName,
    });
  }
  const env = moduleEnvironment({
    deviceId: context.deviceId,
    moduleId: module.name,
    iotHubHostName: context.iotHubHostName,
    gatewayHostName,
    generationId: identity?.generationId,
    apiVersion: context.apiVersion,
    logLevel: context.logLevel,
    workloadUri: context.workloadUri,
    manifestEnv: module.env,
    createOptionsEnv: mapped.env,
    connectionString: { secretKeyRef: { name: identitySecretName(module.name), key: IDENTITY_SECRET_KEY } },
    caCertificateFile: `${HUB_CA_MOUNT_PATH}/${HUB_CA_FILE}`,
  });
  warnings.push(...env.warnings.map((w) => w.replace(/^module [^:]*: /, '')));

  const image = withDefaultTag(module.image);
  const pullSecrets: V1LocalObjectReference[] = pullSecretsFor(image, registries);

  const container: V1Container = {
    name,
    image,
    // IoT Edge `imagePullPolicy` (learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub): on-create pulls when the image is missing; never never pulls.
    imagePullPolicy: module.imagePullPolicy === 'never' ? 'Never' : 'IfNotPresent',
    ...(mapped.command === undefined ? {} : { command: mapped.command.map(escapeKubernetesExpansion) }),
    ...(mapped.args === undefined ? {} : { args: mapped.args.map(escapeKubernetesExpansion) }),
    ...(mapped.workingDir === undefined ? {} : { workingDir: mapped.workingDir }),
    env: toContainerEnv(env.vars, module.name) as V1EnvVar[],
    ...(mapped.containerPorts.length === 0 ? {} : { ports: mapped.containerPorts }),
    volumeMounts: [{ name: HUB_CA_VOLUME, mountPath: HUB_CA_MOUNT_PATH, readOnly: true }, ...mapped.volumeMounts],
    ...(mapped.resources === undefined ? {} : { resources: mapped.resources }),
    ...(mapped.securityContext === undefined ? {} : { securityContext: mapped.securityContext }),
    ...(mapped.livenessProbe === undefined ? {} : { livenessProbe: mapped.livenessProbe }),
    ...(mapped.tty === undefined ? {} : { tty: mapped.tty }),
    ...(mapped.stdin === undefined ? {} : { stdin: mapped.stdin }),
  };
  const volumes: V1Volume[] = [{ name: HUB_CA_VOLUME, configMap: { name: HUB_CA_CONFIG_MAP } }, ...mapped.volumes];
  const podSpec: V1PodSpec = {
    serviceAccountName: name,
    // Modules talk to the hub, not to the Kubernetes API; Docker has no service links either.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    ...(mapped.hostNetwork === true ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
    ...(mapped.hostIPC === true ? { hostIPC: true } : {}),
    ...(mapped.hostPID === true ? { hostPID: true } : {}),
    ...(mapped.hostname === undefined ? {} : { hostname: mapped.hostname }),
    ...(mapped.hostAliases === undefined ? {} : { hostAliases: mapped.hostAliases }),
    ...nodePlacement(context.placement, module.name, mapped.podLabels, mapped.nodeSelector),
    ...(mapped.podSecurityContext === undefined ? {} : { securityContext: mapped.podSecurityContext }),
    ...(mapped.terminationGracePeriodSeconds === undefined ? {} : { terminationGracePeriodSeconds: mapped.terminationGracePeriodSeconds }),
    ...(pullSecrets.length === 0 ? {} : { imagePullSecrets: pullSecrets }),
    containers: [container],
    volumes,
  };

  const moduleAnnotations = (): Record<string, string> => ({ [ANNOTATION_MODULE_NAME]: module.name });
  const serviceAccount: V1ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace, labels, annotations: moduleAnnotations() },
    automountServiceAccountToken: false,
  };
  const identitySecret: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: identitySecretName(module.name), namespace, labels, annotations: { ...moduleAnnotations(), ...(placeholder ? { [ANNOTATION_PLACEHOLDER]: 'true' } : {}) } },
    type: 'Opaque',
    data: { [IDENTITY_SECRET_KEY]: b64(connectionString) },
  };
  // Every module name resolves from every other module, on any port, as on IoT Edge's Docker
  // network: a headless Service (DNS answers with the pod's address, published before it is
  // Ready as Docker's DNS does). Only k8s-experimental serviceOptions.type asks for a virtual IP.
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels, annotations: moduleAnnotations() },
    spec:
      mapped.serviceType === undefined
        ? { clusterIP: 'None', selector: selectorLabels, publishNotReadyAddresses: true, ...(mapped.servicePorts.length === 0 ? {} : { ports: mapped.servicePorts }) }
        : {
            type: mapped.serviceType,
            selector: selectorLabels,
            ports: mapped.serviceType === 'ClusterIP' ? mapped.servicePorts.map(({ nodePort: _np, ...p }) => p) : mapped.servicePorts,
            ...(mapped.loadBalancerIP === undefined ? {} : { loadBalancerIP: mapped.loadBalancerIP }),
          },
  };
  const standIn = standIns.has(normalizedImage(module.image))
    ? { [ANNOTATION_STAND_IN]: `edgemu stand-in for ${module.image} (modules/simulated-temperature-sensor-standin), not the publisher's image` }
    : {};
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace,
      labels,
      annotations: sortKeys({
        ...moduleAnnotations(),
        [ANNOTATION_MODULE_VERSION]: module.version,
        [ANNOTATION_RESTART_POLICY]: module.restartPolicy,
        [ANNOTATION_STARTUP_ORDER]: String(module.startupOrder),
        ...standIn,
      }),
    },
    spec: {
      // desired status (learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub): running → 1 replica, stopped → 0 (IoT Edge K8s mode did the same).
      replicas: module.status === 'running' ? 1 : 0,
      selector: { matchLabels: selectorLabels },
      // Recreate by default: a module identity must not be connected twice (the hub drops the
      // older MQTT session), and IoT Edge also stops the old container before starting the new.
      strategy: mapped.strategy ?? { type: 'Recreate' },
      template: {
        metadata: {
          labels: sortKeys({ ...mapped.podLabels, ...labels }),
          annotations: sortKeys({ ...mapped.podAnnotations, ...moduleAnnotations(), ...standIn }),
        },
        spec: podSpec,
      },
    },
  };

  // The hash covers every object's content except replicas (a status-only change must not
  // look like an update) and includes the CA, which modules read only at start.
  const hash = specHash({
    serviceAccount,
    identitySecret,
    service,
    deployment: { ...deployment, spec: { ...deployment.spec, replicas: undefined } },
    ca: context.hubCaPem ?? null,
  });
  for (const o of [serviceAccount, identitySecret, service, deployment]) {
    if (o?.metadata !== undefined) o.metadata.annotations = sortKeys({ ...o.metadata.annotations, [ANNOTATION_SPEC_HASH]: hash });
  }
  // On the pod template too, so a changed Secret or CA rolls the pod (env is read at start).
  deployment.spec!.template.metadata!.annotations = sortKeys({ ...deployment.spec!.template.metadata!.annotations, [ANNOTATION_SPEC_HASH]: hash });

  const objects: TranslatedObject[] = [serviceAccount, identitySecret, service, deployment];
  return {
    name: module.name,
    k8sName: name,
    startupOrder: module.startupOrder,
    status: module.status,
    specHash: hash,
    objects,
    deployment,
    warnings,
    namedVolumes: mapped.namedVolumes,
  };
}

/** A module whose Kubernetes name is one the layout's own objects carry (e.g. `EdgeAgent` → `edgeagent`) is refused, not silently merged with them. */
function assertNotReserved(modules: readonly ModuleSpec[], layout: Layout): void {
  for (const m of modules) {
    const name = toK8sName(m.name);
    if (layout.reservedModuleNames.includes(name)) {
      throw new TranslateError('TRANSLATE_NAME_COLLISION', `module ${JSON.stringify(m.name)} maps to the Kubernetes name ${name}, which layout ${layout.name} uses for its own objects; rename the module`, {
        module: m.name,
        k8sName: name,
        layout: layout.name,
      });
    }
  }
}

/** IoT Edge appends `:latest` to an image with neither tag nor digest (`DockerConfig.ValidateAndGetImage`). */
export function withDefaultTag(image: string): string {
  const parsed = parseImageReference(image);
  if (parsed.ok) return parsed.value.normalized;
  const lastSlash = image.lastIndexOf('/');
  return image.includes('@') || image.indexOf(':', lastSlash + 1) >= 0 ? image : `${image}:latest`;
}

/** An image reference as containerd names it, for comparing references written differently; unparsable ones stay as written. */
function normalizedImage(image: string): string {
  try {
    return fullImageName(image);
  } catch {
    return image;
  }
}

/**
 * Host ports are per node, and the local cluster has one real node (an IoT Edge device is one
 * Docker host): a host port/protocol a module of an earlier startupOrder group took is removed
 * from a later module's container port, with a warning — on IoT Edge that container would fail
 * to start with "port is already allocated"; here the module runs, reachable inside the cluster.
 */
function claimHostPorts(module: string, ports: V1ContainerPort[], taken: Map<string, string>, warn: (w: string) => void): void {
  for (const p of ports) {
    if (p.hostPort === undefined) continue;
    const key = `${p.hostPort}/${p.protocol ?? 'TCP'}`;
    const owner = taken.get(key);
    if (owner === undefined) {
      taken.set(key, module);
      continue;
    }
    warn(`host port ${p.hostPort}/${(p.protocol ?? 'TCP').toLowerCase()} is already bound by module ${owner}; it is not bound for this module (on IoT Edge this container would not start: the port is already allocated)`);
    delete p.hostPort;
    delete p.hostIP;
  }
}

/** nodeSelector and tolerations: the user's `k8s-experimental.nodeSelector`, then the pool the module goes to. */
function nodePlacement(placement: TranslateContext['placement'], module: string, podLabels: Record<string, string>, userSelector: Record<string, string> | undefined): Pick<V1PodSpec, 'nodeSelector' | 'tolerations'> {
  const pool = placementPodFields(effectivePlacement(placement !== undefined && Object.hasOwn(placement, module) ? placement[module] : undefined, podLabels));
  const nodeSelector = userSelector === undefined && pool.nodeSelector === undefined ? undefined : sortKeys({ ...userSelector, ...pool.nodeSelector });
  return { ...(nodeSelector === undefined ? {} : { nodeSelector }), ...(pool.tolerations === undefined ? {} : { tolerations: pool.tolerations }) };
}
