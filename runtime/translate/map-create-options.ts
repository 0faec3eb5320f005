import type {
  V1Capabilities,
  V1ContainerPort,
  V1DeploymentStrategy,
  V1HostAlias,
  V1PodSecurityContext,
  V1Probe,
  V1ResourceRequirements,
  V1SecurityContext,
  V1ServicePort,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { toK8sName } from '../manifest/k8s-name.js';
import type { CreateOptions } from '../manifest/model.js';
import { isReservedKey } from './labels.js';

/**
 * Docker `ContainerCreate` options (a module's createOptions, iotedge-protocol.md §1.4) mapped
 * onto the pieces of a pod, a container and a Service. Pure. Every field it does not map is
 * reported through `warn` by its full path — never dropped silently. Fields whose value is
 * empty (`null`, `false`, `""`, `[]`, `{}`) mean "unset" in Docker and are not reported.
 */
export interface MappedCreateOptions {
  command?: string[];
  args?: string[];
  workingDir?: string;
  /** `Env` as given (merged later by `moduleEnvironment`). */
  env: unknown[];
  containerPorts: V1ContainerPort[];
  /** Service ports; empty means "no Service". */
  servicePorts: V1ServicePort[];
  serviceType?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  loadBalancerIP?: string;
  volumes: V1Volume[];
  volumeMounts: V1VolumeMount[];
  /** Docker named volumes used (each becomes a PVC named `distinctK8sName(volume)`), sorted. */
  namedVolumes: string[];
  resources?: V1ResourceRequirements;
  securityContext?: V1SecurityContext;
  podSecurityContext?: V1PodSecurityContext;
  nodeSelector?: Record<string, string>;
  strategy?: V1DeploymentStrategy;
  hostNetwork?: boolean;
  hostIPC?: boolean;
  hostPID?: boolean;
  hostname?: string;
  hostAliases?: V1HostAlias[];
  tty?: boolean;
  stdin?: boolean;
  terminationGracePeriodSeconds?: number;
  livenessProbe?: V1Probe;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
}

/** Volume and mount names edgemu itself uses in every pod. */
export const HUB_CA_VOLUME = 'edgemu-hub-ca';
export const HUB_CA_MOUNT_PATH = '/etc/edgemu/hub-ca';
export const HUB_CA_FILE = 'ca.pem';

const LOOPBACK_IPS = new Set(['127.0.0.1', '::1', 'localhost']);

/** The default NodePort range of kube-apiserver (`--service-node-port-range`). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

type Warn = (message: string) => void;
type Obj = Record<string, unknown>;

const TOP_LEVEL = new Set(['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Labels', 'ExposedPorts', 'HostConfig', 'Healthcheck', 'Hostname', 'Tty', 'OpenStdin', 'StopTimeout', 'Volumes']);
const HOST_CONFIG = new Set([
  'PortBindings',
  'Binds',
  'Mounts',
  'Memory',
  'MemoryReservation',
  'NanoCpus',
  'CpuShares',
  'CpuQuota',
  'CpuPeriod',
  'Privileged',
  'CapAdd',
  'CapDrop',
  'NetworkMode',
  'IpcMode',
  'PidMode',
  'ReadonlyRootfs',
  'ExtraHosts',
]);
const EXPERIMENTAL_KEY = 'k8s-experimental';
const EXPERIMENTAL = ['volumes', 'resources', 'nodeSelector', 'securityContext', 'serviceOptions', 'strategy'] as const;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown): boolean =>
  v === null || v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
const ordinal = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8);

/** DNS-1123 label (Kubernetes `IsDNS1123Label`): pod hostnames. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Label/annotation name part (`IsQualifiedName`). */
const QUALIFIED_NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Label value (`IsValidLabelValue`). */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** Docker's volume name rule (`volume/local` `validName`). */
const DOCKER_VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * A Kubernetes name that stays distinct for distinct inputs, for names that are case-sensitive
 * free text (Docker volume names → PVCs, registry credential keys → Secrets): a name that does
 * not survive `toK8sName` unchanged gets a hash of the original appended. `data` → `data`,
 * `My_Data` → `my-data-1a2b3c4d`, and volume `D` never shares volume `d`'s claim.
 */
export function distinctK8sName(volume: string, maxLength = 63): string {
  const plain = toK8sName(volume, maxLength);
  if (plain === volume) return plain;
  return `${toK8sName(volume, maxLength - 9)}-${shortHash(volume)}`;
}

/** Kubernetes `IsQualifiedName`: the key rule shared by labels and annotations. */
export function isQualifiedKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return false;
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}

/** Maps one module's createOptions; every ignored field is passed to `warn` by its path. */
export function mapCreateOptions(createOptions: CreateOptions, warn: Warn): MappedCreateOptions {
  const co: Obj = isObj(createOptions) ? createOptions : {};
  const hc: Obj = isObj(co.HostConfig) ? co.HostConfig : {};
  if (co.HostConfig !== undefined && !isObj(co.HostConfig) && !isEmpty(co.HostConfig)) warn('createOptions.HostConfig is not an object and was ignored');
  const out: MappedCreateOptions = { env: [], containerPorts: [], servicePorts: [], volumes: [], volumeMounts: [], namedVolumes: [], podLabels: {}, podAnnotations: {} };

  let experimental: Obj = {};
  for (const [key, value] of Object.entries(co)) {
    if (key.toLowerCase() === EXPERIMENTAL_KEY) {
      if (isObj(value)) experimental = value;
      else if (!isEmpty(value)) warn(`createOptions.${key} is not an object and was ignored`);
    } else if (!TOP_LEVEL.has(key) && !isEmpty(value)) {
      warn(`createOptions.${key} is not supported on Kubernetes and was ignored`);
    }
  }
  for (const [key, value] of Object.entries(hc)) {
    if (!HOST_CONFIG.has(key) && !isEmpty(value)) warn(`createOptions.HostConfig.${key} is not supported on Kubernetes and was ignored`);
  }
  const exp = readExperimental(experimental, warn);

  if (Array.isArray(co.Env)) out.env = co.Env;
  else if (!isEmpty(co.Env)) warn('createOptions.Env is not a list and was ignored');
  // Entrypoint → command, Cmd → args: Kubernetes' own mapping of the image's ENTRYPOINT/CMD.
  const command = stringList(co.Entrypoint, 'createOptions.Entrypoint', warn);
  if (command !== undefined) out.command = command;
  const args = stringList(co.Cmd, 'createOptions.Cmd', warn);
  if (args !== undefined) out.args = args;
  const workingDir = stringField(co.WorkingDir, 'createOptions.WorkingDir', warn);
  if (workingDir !== undefined) out.workingDir = workingDir;
  if (co.Tty === true) out.tty = true;
  if (co.OpenStdin === true) out.stdin = true;
  if (typeof co.StopTimeout === 'number' && Number.isInteger(co.StopTimeout) && co.StopTimeout >= 0) out.terminationGracePeriodSeconds = co.StopTimeout;
  else if (!isEmpty(co.StopTimeout)) warn('createOptions.StopTimeout is not a non-negative integer and was ignored');
  const hostname = stringField(co.Hostname, 'createOptions.Hostname', warn);
  if (hostname !== undefined) {
    if (hostname.length <= 63 && DNS1123_LABEL.test(hostname)) out.hostname = hostname;
    else warn(`createOptions.Hostname ${JSON.stringify(hostname)} is not a valid pod hostname (RFC 1123 label) and was ignored`);
  }

  mapLabels(co.Labels, out, warn);
  mapPorts(co.ExposedPorts, hc.PortBindings, exp.serviceOptions, out, warn);
  mapVolumes(co.Volumes, hc.Binds, hc.Mounts, exp.volumes, out, warn);
  mapResources(hc, exp.resources, out, warn);
  mapSecurity(co.User, hc, out, warn);
  mapNamespaces(hc, out, warn);
  mapExtraHosts(hc.ExtraHosts, out, warn);
  const probe = mapHealthcheck(co.Healthcheck, warn);
  if (probe !== undefined) out.livenessProbe = probe;

  if (exp.nodeSelector !== undefined) out.nodeSelector = exp.nodeSelector;
  if (exp.securityContext !== undefined) out.podSecurityContext = exp.securityContext as V1PodSecurityContext;
  if (exp.strategy !== undefined) out.strategy = exp.strategy as V1DeploymentStrategy;
  return out;
}

// ---------------------------------------------------------------------------------------------
// k8s-experimental (iotedge-protocol.md §6.8): keys matched case-insensitively, values passed
// through as Kubernetes objects, unknown keys reported. Honoured always (IoT Edge needed two
// agent feature flags; edgemu has none).

interface Experimental {
  volumes?: { volume: Obj; volumeMounts: Obj[] }[];
  resources?: Obj;
  nodeSelector?: Record<string, string>;
  securityContext?: Obj;
  serviceOptions?: { type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; loadBalancerIP?: string };
  strategy?: Obj;
}

function readExperimental(section: Obj, warn: Warn): Experimental {
  const exp: Experimental = {};
  const path = (k: string) => `createOptions.${EXPERIMENTAL_KEY}.${k}`;
  for (const [key, value] of Object.entries(section)) {
    const known = EXPERIMENTAL.find((k) => k.toLowerCase() === key.toLowerCase());
    if (known === undefined) {
      warn(`${path(key)} is not a known k8s-experimental setting and was ignored`);
      continue;
    }
    if (isEmpty(value)) continue;
    switch (known) {
      case 'volumes': {
        if (!Array.isArray(value)) {
          warn(`${path(key)} is not a list and was ignored`);
          break;
        }
        exp.volumes = [];
        value.forEach((item: unknown, i) => {
          const v = isObj(item) ? item : undefined;
          const volume = v?.volume;
          const mounts = v?.volumeMounts ?? [];
          if (!isObj(volume) || typeof volume.name !== 'string' || !Array.isArray(mounts) || !mounts.every(isObj)) {
            warn(`${path(key)}[${i}] needs {volume: {name, …}, volumeMounts: [...]} and was ignored`);
            return;
          }
          exp.volumes!.push({ volume, volumeMounts: mounts });
        });
        break;
      }
      case 'nodeSelector':
        if (isObj(value) && Object.values(value).every((x) => typeof x === 'string')) exp.nodeSelector = sortKeys(value as Record<string, string>);
        else warn(`${path(key)} is not a map of strings and was ignored`);
        break;
      case 'serviceOptions': {
        if (!isObj(value)) {
          warn(`${path(key)} is not an object and was ignored`);
          break;
        }
        const opts: NonNullable<Experimental['serviceOptions']> = {};
        for (const [k, v] of Object.entries(value)) {
          if (k.toLowerCase() === 'type') {
            const type = typeof v === 'string' ? ['ClusterIP', 'NodePort', 'LoadBalancer'].find((t) => t.toLowerCase() === v.toLowerCase()) : undefined;
            if (type === undefined) warn(`${path(key)}.${k} must be ClusterIP, NodePort or LoadBalancer; ignored`);
            else opts.type = type as 'ClusterIP' | 'NodePort' | 'LoadBalancer';
          } else if (k.toLowerCase() === 'loadbalancerip') {
            if (typeof v === 'string') opts.loadBalancerIP = v;
            else warn(`${path(key)}.${k} is not a string and was ignored`);
          } else {
            warn(`${path(key)}.${k} is not a known service option and was ignored`);
          }
        }
        exp.serviceOptions = opts;
        break;
      }
      default:
        // resources (V1ResourceRequirements), securityContext (V1PodSecurityContext), strategy (V1DeploymentStrategy)
        if (isObj(value)) exp[known] = value;
        else warn(`${path(key)} is not an object and was ignored`);
    }
  }
  return exp;
}

// ---------------------------------------------------------------------------------------------

function stringList(v: unknown, path: string, warn: Warn): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  // Docker's strslice accepts a single string as a one-element list.
  if (typeof v === 'string') return v === '' ? undefined : [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.length === 0 ? undefined : [...v];
  warn(`${path} is not a string list and was ignored`);
  return undefined;
}

function stringField(v: unknown, path: string, warn: Warn): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  warn(`${path} is not a string and was ignored`);
  return undefined;
}

const sortKeys = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => ordinal(a, b)));

/** Docker `Labels` → pod labels where Kubernetes takes them as labels, else pod annotations. */
function mapLabels(labels: unknown, out: MappedCreateOptions, warn: Warn): void {
  if (isEmpty(labels)) return;
  if (!isObj(labels)) {
    warn('createOptions.Labels is not an object and was ignored');
    return;
  }
  for (const [key, value] of Object.entries(labels).sort(([a], [b]) => ordinal(a, b))) {
    const path = `createOptions.Labels[${JSON.stringify(key)}]`;
    if (typeof value !== 'string') warn(`${path} is not a string and was ignored`);
    else if (isReservedKey(key)) warn(`${path} uses a key reserved for edgemu and was ignored`);
    else if (!isQualifiedKey(key)) warn(`${path} is not a valid Kubernetes label or annotation key and was ignored`);
    else if (value.length <= 63 && LABEL_VALUE.test(value)) out.podLabels[key] = value;
    else out.podAnnotations[key] = value;
  }
}

// ---------------------------------------------------------------------------------------------
// Ports (iotedge-protocol.md §6.6, fixed): every container port gets a Service port of the same
// number, so modules reach `<module>:<port>` as on IoT Edge's Docker network; a bound host port
// makes the Service a NodePort, with the node port equal to the host port when it lies in the
// node-port range. TCP/UDP/SCTP are kept.

interface PortKey {
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

function parsePortKey(key: string): PortKey | undefined {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(key.trim());
  if (m === null) return undefined;
  const port = Number(m[1]);
  if (port < 1 || port > 65535) return undefined;
  return { port, protocol: (m[2] ?? 'tcp').toUpperCase() as PortKey['protocol'] };
}

function mapPorts(exposed: unknown, bindings: unknown, serviceOptions: Experimental['serviceOptions'], out: MappedCreateOptions, warn: Warn): void {
  const ports = new Map<string, PortKey & { hostPorts: (number | undefined)[] }>();
  const add = (key: string, path: string): (PortKey & { hostPorts: (number | undefined)[] }) | undefined => {
    const parsed = parsePortKey(key);
    if (parsed === undefined) {
      warn(`${path}[${JSON.stringify(key)}] is not a "<port>[/tcp|udp|sctp]" key (port ranges are not supported) and was ignored`);
      return undefined;
    }
    const id = `${parsed.port}/${parsed.protocol}`;
    let entry = ports.get(id);
    if (entry === undefined) ports.set(id, (entry = { ...parsed, hostPorts: [] }));
    return entry;
  };
  if (isObj(exposed)) for (const key of Object.keys(exposed)) add(key, 'createOptions.ExposedPorts');
  else if (!isEmpty(exposed)) warn('createOptions.ExposedPorts is not an object and was ignored');

  let bound = false;
  if (isObj(bindings)) {
    for (const [key, list] of Object.entries(bindings)) {
      const path = `createOptions.HostConfig.PortBindings[${JSON.stringify(key)}]`;
      const entry = add(key, 'createOptions.HostConfig.PortBindings');
      if (entry === undefined) continue;
      // `null` or `[]` binds nothing in Docker; `[{}]` / `HostPort: ""` binds a random host port.
      if (list === null || (Array.isArray(list) && list.length === 0)) continue;
      if (!Array.isArray(list)) {
        warn(`${path} is not a list and was ignored`);
        continue;
      }
      list.forEach((b: unknown, i) => {
        const binding = isObj(b) ? b : {};
        const hostIp = binding.HostIp;
        if (typeof hostIp === 'string' && LOOPBACK_IPS.has(hostIp)) {
          // Docker makes a loopback binding reachable from the host only; a node port would open
          // it on every node address. Keep the port cluster-internal instead.
          warn(`${path}[${i}] binds to ${hostIp} only; it is not exposed as a node port (use kubectl port-forward to reach it from the host)`);
          return;
        }
        if (typeof hostIp === 'string' && hostIp !== '' && hostIp !== '0.0.0.0' && hostIp !== '::') {
          warn(`${path}[${i}].HostIp ${hostIp} is not supported on Kubernetes (a NodePort listens on every node address); ignored`);
        }
        const hp = binding.HostPort;
        if (hp === undefined || hp === null || hp === '') {
          entry.hostPorts.push(undefined);
          bound = true;
        } else if ((typeof hp === 'string' && /^\d{1,5}$/.test(hp)) || (typeof hp === 'number' && Number.isInteger(hp))) {
          const n = Number(hp);
          if (n < 1 || n > 65535) warn(`${path}[${i}].HostPort ${n} is out of range and was ignored`);
          else {
            entry.hostPorts.push(n);
            bound = true;
          }
        } else {
          warn(`${path}[${i}].HostPort ${JSON.stringify(hp)} is not a port number (ranges are not supported) and was ignored`);
        }
      });
    }
  } else if (!isEmpty(bindings)) warn('createOptions.HostConfig.PortBindings is not an object and was ignored');

  const sorted = [...ports.values()].sort((a, b) => a.port - b.port || ordinal(a.protocol, b.protocol));
  const type = serviceOptions?.type ?? (bound ? 'NodePort' : 'ClusterIP');
  const usedNodePorts = new Set<string>();
  for (const p of sorted) {
    out.containerPorts.push({ containerPort: p.port, protocol: p.protocol });
    const sp: V1ServicePort = { name: `${p.protocol.toLowerCase()}-${p.port}`, port: p.port, targetPort: p.port, protocol: p.protocol };
    const hostPorts = [...new Set(p.hostPorts)];
    const first = hostPorts.find((h) => h !== undefined);
    if (hostPorts.length > 1) {
      warn(`createOptions.HostConfig.PortBindings["${p.port}/${p.protocol.toLowerCase()}"] binds several host ports; only ${first ?? 'a random one'} is mapped (a Service port has one node port)`);
    }
    if (first !== undefined && type !== 'ClusterIP') {
      if (first < NODE_PORT_RANGE.min || first > NODE_PORT_RANGE.max) {
        warn(`host port ${first} of ${p.port}/${p.protocol.toLowerCase()} is outside the node-port range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}; Kubernetes picks the node port`);
      } else if (usedNodePorts.has(`${first}/${p.protocol}`)) {
        warn(`host port ${first}/${p.protocol.toLowerCase()} is bound twice; Kubernetes picks the node port for ${p.port}/${p.protocol.toLowerCase()}`);
      } else {
        // Kubernetes keeps node ports unique per (port, protocol): TCP and UDP may share a number,
        // as Docker lets 53/tcp and 53/udp bind the same host port.
        sp.nodePort = first;
        usedNodePorts.add(`${first}/${p.protocol}`);
      }
    }
    out.servicePorts.push(sp);
  }
  if (out.servicePorts.length > 0) out.serviceType = type;
  if (serviceOptions?.loadBalancerIP !== undefined) {
    if (type === 'LoadBalancer') out.loadBalancerIP = serviceOptions.loadBalancerIP;
    else warn(`createOptions.${EXPERIMENTAL_KEY}.serviceOptions.loadBalancerIP applies only to type LoadBalancer; ignored`);
  }
}

// ---------------------------------------------------------------------------------------------
// Volumes (iotedge-protocol.md §6.5, fixed): host paths → hostPath (DirectoryOrCreate, as Docker
// creates missing bind sources for `Binds`), named volumes → a PVC per volume name (shared by
// every module that names it, like a Docker volume), anonymous volumes and tmpfs → emptyDir.

function mapVolumes(anonymous: unknown, binds: unknown, mounts: unknown, experimental: Experimental['volumes'], out: MappedCreateOptions, warn: Warn): void {
  const volumes = new Map<string, V1Volume>();
  const mountPaths = new Set<string>([HUB_CA_MOUNT_PATH]);
  const named = new Set<string>();
  const addMount = (volume: V1Volume, mountPath: string, readOnly: boolean, path: string): void => {
    if (!mountPath.startsWith('/')) {
      warn(`${path}: target ${JSON.stringify(mountPath)} is not an absolute path; ignored`);
      return;
    }
    if (mountPaths.has(mountPath)) {
      warn(`${path}: ${mountPath} is already mounted${mountPath === HUB_CA_MOUNT_PATH ? ' (edgemu mounts the hub CA there)' : ''}; ignored`);
      return;
    }
    mountPaths.add(mountPath);
    if (!volumes.has(volume.name)) volumes.set(volume.name, volume);
    out.volumeMounts.push(readOnly ? { name: volume.name, mountPath, readOnly: true } : { name: volume.name, mountPath });
  };
  const hostPathVolume = (source: string): V1Volume => ({
    name: `host-${toK8sName(source.replaceAll('/', '-'), 40)}-${shortHash(source)}`,
    hostPath: { path: source, type: 'DirectoryOrCreate' },
  });
  const namedVolume = (source: string): V1Volume => {
    named.add(source);
    return { name: `vol-${distinctK8sName(source, 59)}`, persistentVolumeClaim: { claimName: distinctK8sName(source) } };
  };
  const emptyDirVolume = (target: string, medium?: string, sizeLimit?: string): V1Volume => ({
    name: `tmp-${shortHash(target)}`,
    emptyDir: { ...(medium === undefined ? {} : { medium }), ...(sizeLimit === undefined ? {} : { sizeLimit }) },
  });
  const sourceVolume = (source: string, path: string): V1Volume | undefined => {
    if (source.startsWith('/')) return hostPathVolume(source);
    if (DOCKER_VOLUME_NAME.test(source)) return namedVolume(source);
    warn(`${path}: source ${JSON.stringify(source)} is neither an absolute host path nor a Docker volume name; ignored`);
    return undefined;
  };

  if (Array.isArray(binds)) {
    binds.forEach((b: unknown, i) => {
      const path = `createOptions.HostConfig.Binds[${i}]`;
      if (typeof b !== 'string') {
        warn(`${path} is not a string and was ignored`);
        return;
      }
      // "source:target[:options]" (Docker `volume/mounts` linux parser)
      const parts = b.split(':');
      if (parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '') {
        warn(`${path} ${JSON.stringify(b)} is not "source:target[:options]"; ignored`);
        return;
      }
      let readOnly = false;
      for (const opt of (parts[2] ?? '').split(',').filter((o) => o !== '')) {
        if (opt === 'ro') readOnly = true;
        else if (opt !== 'rw') warn(`${path} option ${JSON.stringify(opt)} is not supported on Kubernetes and was ignored`);
      }
      const volume = sourceVolume(parts[0]!, path);
      if (volume !== undefined) addMount(volume, parts[1]!, readOnly, path);
    });
  } else if (!isEmpty(binds)) warn('createOptions.HostConfig.Binds is not a list and was ignored');

  if (Array.isArray(mounts)) {
    mounts.forEach((m: unknown, i) => {
      const path = `createOptions.HostConfig.Mounts[${i}]`;
      if (!isObj(m)) {
        warn(`${path} is not an object and was ignored`);
        return;
      }
      const { Type: type, Source: source, Target: target, ReadOnly: readOnly, TmpfsOptions: tmpfs, ...rest } = m;
      for (const [k, v] of Object.entries(rest)) if (!isEmpty(v)) warn(`${path}.${k} is not supported on Kubernetes and was ignored`);
      if (typeof target !== 'string' || target === '') {
        warn(`${path} has no Target; ignored`);
        return;
      }
      const ro = readOnly === true;
      if (type === 'bind') {
        if (typeof source !== 'string' || !source.startsWith('/')) warn(`${path} (bind) needs an absolute Source; ignored`);
        else addMount(hostPathVolume(source), target, ro, path);
      } else if (type === 'volume' || type === undefined) {
        if (source === undefined || source === '') addMount(emptyDirVolume(target), target, ro, path);
        else if (typeof source === 'string') {
          const volume = sourceVolume(source, path);
          if (volume !== undefined) addMount(volume, target, ro, path);
        } else warn(`${path}.Source is not a string; ignored`);
      } else if (type === 'tmpfs') {
        const size = isObj(tmpfs) && typeof tmpfs.SizeBytes === 'number' && tmpfs.SizeBytes > 0 ? String(Math.floor(tmpfs.SizeBytes)) : undefined;
        if (isObj(tmpfs)) for (const k of Object.keys(tmpfs)) if (k !== 'SizeBytes') warn(`${path}.TmpfsOptions.${k} is not supported on Kubernetes and was ignored`);
        addMount(emptyDirVolume(target, 'Memory', size), target, ro, path);
      } else {
        warn(`${path}.Type ${JSON.stringify(type)} is not supported on Kubernetes; ignored`);
      }
    });
  } else if (!isEmpty(mounts)) warn('createOptions.HostConfig.Mounts is not a list and was ignored');

  // createOptions.Volumes: anonymous volumes, a fresh directory per container → emptyDir.
  if (isObj(anonymous)) {
    for (const target of Object.keys(anonymous).sort(ordinal)) addMount(emptyDirVolume(target), target, false, `createOptions.Volumes[${JSON.stringify(target)}]`);
  } else if (!isEmpty(anonymous)) warn('createOptions.Volumes is not an object and was ignored');

  for (const [i, { volume, volumeMounts }] of (experimental ?? []).entries()) {
    const path = `createOptions.${EXPERIMENTAL_KEY}.volumes[${i}]`;
    const name = volume.name as string;
    if (volumes.has(name) || name === HUB_CA_VOLUME) {
      warn(`${path}: volume name ${JSON.stringify(name)} is already used; ignored`);
      continue;
    }
    volumes.set(name, volume as unknown as V1Volume);
    for (const vm of volumeMounts) {
      const mountPath = vm.mountPath;
      if (typeof mountPath === 'string' && mountPaths.has(mountPath)) {
        warn(`${path}: ${mountPath} is already mounted; ignored`);
        continue;
      }
      if (typeof mountPath === 'string') mountPaths.add(mountPath);
      out.volumeMounts.push(vm as unknown as V1VolumeMount);
    }
  }

  out.volumes = [...volumes.values()];
  out.namedVolumes = [...named].sort(ordinal);
}

// ---------------------------------------------------------------------------------------------
// Resources: Docker limits → container limits; reservations/shares → requests. CPU shares are
// the inverse of the kubelet's `MilliCPUToShares` (shares = milli × 1024 / 1000).

function positiveInt(v: unknown, path: string, warn: Warn): number | undefined {
  if (v === undefined || v === null || v === 0) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  warn(`${path} is not a positive integer and was ignored`);
  return undefined;
}

function mapResources(hc: Obj, experimental: Obj | undefined, out: MappedCreateOptions, warn: Warn): void {
  const p = (k: string) => `createOptions.HostConfig.${k}`;
  const memory = positiveInt(hc.Memory, p('Memory'), warn);
  let memoryRequest = positiveInt(hc.MemoryReservation, p('MemoryReservation'), warn);
  const nanoCpus = positiveInt(hc.NanoCpus, p('NanoCpus'), warn);
  const cpuQuota = positiveInt(hc.CpuQuota, p('CpuQuota'), warn);
  const cpuPeriod = positiveInt(hc.CpuPeriod, p('CpuPeriod'), warn);
  const shares = positiveInt(hc.CpuShares, p('CpuShares'), warn);

  let cpuLimitMilli: number | undefined;
  if (nanoCpus !== undefined) cpuLimitMilli = Math.ceil(nanoCpus / 1e6);
  else if (cpuQuota !== undefined) cpuLimitMilli = Math.ceil((cpuQuota * 1000) / (cpuPeriod ?? 100_000));
  if (nanoCpus !== undefined && cpuQuota !== undefined) warn(`${p('CpuQuota')} is ignored because NanoCpus is set`);
  let cpuRequestMilli = shares === undefined ? undefined : Math.max(1, Math.round((shares * 1000) / 1024));
  if (cpuRequestMilli !== undefined && cpuLimitMilli !== undefined && cpuRequestMilli > cpuLimitMilli) {
    warn(`${p('CpuShares')} asks for more CPU (${cpuRequestMilli}m) than the limit (${cpuLimitMilli}m); the request is lowered to the limit`);
    cpuRequestMilli = cpuLimitMilli;
  }
  if (memoryRequest !== undefined && memory !== undefined && memoryRequest > memory) {
    warn(`${p('MemoryReservation')} is larger than Memory; the request is lowered to the limit`);
    memoryRequest = memory;
  }
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  if (cpuLimitMilli !== undefined) limits.cpu = `${cpuLimitMilli}m`;
  if (memory !== undefined) limits.memory = String(memory);
  if (cpuRequestMilli !== undefined) requests.cpu = `${cpuRequestMilli}m`;
  if (memoryRequest !== undefined) requests.memory = String(memoryRequest);

  let resources: Obj = {};
  if (Object.keys(limits).length > 0) resources.limits = limits;
  if (Object.keys(requests).length > 0) resources.requests = requests;
  if (experimental !== undefined) {
    // k8s-experimental.resources wins key by key over what Docker options gave.
    resources = { ...resources, ...experimental };
    for (const k of ['limits', 'requests'] as const) {
      const docker = k === 'limits' ? limits : requests;
      if (isObj(experimental[k])) resources[k] = { ...docker, ...experimental[k] };
    }
  }
  if (Object.keys(resources).length > 0) out.resources = resources as V1ResourceRequirements;
}

// ---------------------------------------------------------------------------------------------

function mapSecurity(user: unknown, hc: Obj, out: MappedCreateOptions, warn: Warn): void {
  const sc: V1SecurityContext = {};
  if (hc.Privileged === true) sc.privileged = true;
  else if (hc.Privileged !== undefined && typeof hc.Privileged !== 'boolean') warn('createOptions.HostConfig.Privileged is not a boolean and was ignored');
  const caps: V1Capabilities = {};
  for (const key of ['CapAdd', 'CapDrop'] as const) {
    const list = stringList(hc[key], `createOptions.HostConfig.${key}`, warn);
    // Docker accepts `CAP_NET_ADMIN` and `NET_ADMIN`; Kubernetes wants the bare name.
    if (list !== undefined) caps[key === 'CapAdd' ? 'add' : 'drop'] = list.map((c) => c.toUpperCase().replace(/^CAP_/, ''));
  }
  if (caps.add !== undefined || caps.drop !== undefined) sc.capabilities = caps;
  if (hc.ReadonlyRootfs === true) sc.readOnlyRootFilesystem = true;
  const u = stringField(user, 'createOptions.User', warn);
  if (u !== undefined) {
    // Kubernetes takes numeric ids only (runAsUser/runAsGroup); Docker also takes names from /etc/passwd.
    const m = /^(\d+)(?::(\d+))?$/.exec(u);
    if (m === null) warn(`createOptions.User ${JSON.stringify(u)} is not numeric ("uid" or "uid:gid"); Kubernetes cannot run as a user name, ignored`);
    else {
      sc.runAsUser = Number(m[1]);
      if (m[2] !== undefined) sc.runAsGroup = Number(m[2]);
    }
  }
  if (Object.keys(sc).length > 0) out.securityContext = sc;
}

function mapNamespaces(hc: Obj, out: MappedCreateOptions, warn: Warn): void {
  const mode = (key: string, equivalent: string[]): 'host' | undefined => {
    const v = hc[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (v === 'host') return 'host';
    if (typeof v === 'string' && equivalent.includes(v)) return undefined;
    warn(`createOptions.HostConfig.${key} ${JSON.stringify(v)} is not supported on Kubernetes (only "host"); ignored`);
    return undefined;
  };
  // The pod network plays the part of IoT Edge's module network (`azure-iot-edge`).
  if (mode('NetworkMode', ['default', 'bridge', 'azure-iot-edge']) === 'host') {
    out.hostNetwork = true;
  }
  if (mode('IpcMode', ['private', 'shareable']) === 'host') out.hostIPC = true;
  if (mode('PidMode', []) === 'host') out.hostPID = true;
}

function mapExtraHosts(extraHosts: unknown, out: MappedCreateOptions, warn: Warn): void {
  if (isEmpty(extraHosts)) return;
  if (!Array.isArray(extraHosts)) {
    warn('createOptions.HostConfig.ExtraHosts is not a list and was ignored');
    return;
  }
  const byIp = new Map<string, string[]>();
  extraHosts.forEach((entry: unknown, i) => {
    // "hostname:IP" (IPv6 addresses contain ':', so split at the first one only)
    const m = typeof entry === 'string' ? /^([^:]+):(.+)$/.exec(entry) : null;
    if (m === null) {
      warn(`createOptions.HostConfig.ExtraHosts[${i}] is not "hostname:IP"; ignored`);
      return;
    }
    const ip = m[2]!;
    if (ip === 'host-gateway') {
      warn(`createOptions.HostConfig.ExtraHosts[${i}] uses host-gateway, which Kubernetes has no equivalent for; ignored`);
      return;
    }
    byIp.set(ip, [...(byIp.get(ip) ?? []), m[1]!]);
  });
  if (byIp.size > 0) out.hostAliases = [...byIp.entries()].sort(([a], [b]) => ordinal(a, b)).map(([ip, hostnames]) => ({ ip, hostnames }));
}

/**
 * Docker `Healthcheck` → a liveness probe, so `restartPolicy: on-unhealthy` has teeth (IoT
 * Edge never probed, §4). Durations are nanoseconds; Docker's defaults apply when absent
 * (interval 30 s, timeout 30 s, retries 3, start period 0).
 */
function mapHealthcheck(hcheck: unknown, warn: Warn): V1Probe | undefined {
  if (isEmpty(hcheck)) return undefined;
  const path = 'createOptions.Healthcheck';
  if (!isObj(hcheck)) {
    warn(`${path} is not an object and was ignored`);
    return undefined;
  }
  const { Test: test, Interval, Timeout, StartPeriod, Retries, ...rest } = hcheck;
  for (const [k, v] of Object.entries(rest)) if (!isEmpty(v)) warn(`${path}.${k} is not supported on Kubernetes and was ignored`);
  let command: string[] | undefined;
  if (typeof test === 'string' && test !== '') command = ['/bin/sh', '-c', test];
  else if (Array.isArray(test) && test.every((t) => typeof t === 'string') && test.length > 0) {
    const [kind, ...rest2] = test as string[];
    if (kind === 'NONE') return undefined; // disables the image's healthcheck
    if (kind === 'CMD' && rest2.length > 0) command = rest2;
    else if (kind === 'CMD-SHELL' && rest2.length === 1) command = ['/bin/sh', '-c', rest2[0]!];
  }
  if (command === undefined) {
    warn(`${path}.Test must be ["CMD", …], ["CMD-SHELL", "…"] or ["NONE"]; no liveness probe was made`);
    return undefined;
  }
  const seconds = (v: unknown, name: string, fallback: number): number => {
    if (v === undefined || v === null || v === 0) return fallback;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.max(1, Math.ceil(v / 1e9));
    warn(`${path}.${name} is not a positive duration in nanoseconds; Docker's default is used`);
    return fallback;
  };
  const retries = Retries === undefined || Retries === null || Retries === 0 ? 3 : typeof Retries === 'number' && Number.isInteger(Retries) && Retries > 0 ? Retries : (warn(`${path}.Retries is not a positive integer; Docker's default 3 is used`), 3);
  const probe: V1Probe = {
    exec: { command },
    periodSeconds: seconds(Interval, 'Interval', 30),
    timeoutSeconds: seconds(Timeout, 'Timeout', 30),
    failureThreshold: retries,
  };
  const start = StartPeriod === undefined || StartPeriod === null || StartPeriod === 0 ? 0 : seconds(StartPeriod, 'StartPeriod', 0);
  if (start > 0) probe.initialDelaySeconds = start;
  return probe;
}
