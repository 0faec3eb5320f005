import type { V1DeploymentStrategy, V1PodSecurityContext } from '@kubernetes/client-node';
import type { CreateOptions } from '../manifest/index.js';
import { booleanField, isEmpty, isObj, ordinal, stringField, stringList, toInteger, type Obj, type Warn } from './create-options-values.js';
import { EXPERIMENTAL_KEY, readExperimental } from './k8s-experimental.js';
import { mapDevices } from './map-devices.js';
import { mapHealthcheck } from './map-healthcheck.js';
import { mapLabels } from './map-labels.js';
import { mapPorts } from './map-ports.js';
import { mapResources } from './map-resources.js';
import { mapSecurity, mapNamespaces } from './map-security.js';
import { mapVolumes } from './map-volumes.js';
import type { MappedCreateOptions } from './translate-types.js';

export { isQualifiedKey } from './map-labels.js';
export { NODE_PORT_RANGE } from './map-ports.js';
export { distinctK8sName, HUB_CA_FILE, HUB_CA_MOUNT_PATH, HUB_CA_VOLUME } from './map-volumes.js';
export type { Warn } from './create-options-values.js';
export type { MappedCreateOptions } from './translate-types.js';

/** DNS-1123 label (Kubernetes `IsDNS1123Label`): pod hostnames. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

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
  'Devices',
  'DeviceRequests',
  'Runtime',
  'LogConfig',
]);

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
  // Strings such as "true" / "30" are converted as edgeAgent's JSON reader does (create-options-values.ts toBoolean/toInteger).
  if (booleanField(co.Tty, 'createOptions.Tty', warn) === true) out.tty = true;
  if (booleanField(co.OpenStdin, 'createOptions.OpenStdin', warn) === true) out.stdin = true;
  const stopTimeout = toInteger(co.StopTimeout);
  if (stopTimeout !== undefined && stopTimeout >= 0) out.terminationGracePeriodSeconds = stopTimeout;
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
  mapDevices(hc.Devices, out, warn);
  if (!isEmpty(hc.LogConfig)) {
    // Kubernetes docs "Logging Architecture": the kubelet and container runtime own container logs (rotation: containerLogMaxSize/containerLogMaxFiles).
    const type = isObj(hc.LogConfig) && typeof hc.LogConfig.Type === 'string' ? ` (Type ${JSON.stringify(hc.LogConfig.Type)})` : '';
    warn(`createOptions.HostConfig.LogConfig${type} is not applied: on Kubernetes the container runtime writes the module's stdout/stderr to the node's /var/log/pods, read with kubectl logs; log drivers and their options have no per-pod equivalent`);
  }
  mapNamespaces(hc, out, warn);
  mapExtraHosts(hc.ExtraHosts, out, warn);
  const probe = mapHealthcheck(co.Healthcheck, warn);
  if (probe !== undefined) out.livenessProbe = probe;

  if (exp.nodeSelector !== undefined) out.nodeSelector = exp.nodeSelector;
  if (exp.securityContext !== undefined) out.podSecurityContext = exp.securityContext as V1PodSecurityContext;
  if (exp.strategy !== undefined) out.strategy = exp.strategy as V1DeploymentStrategy;
  return out;
}

/** `HostConfig.ExtraHosts` (`hostname:IP`) → pod `hostAliases`, grouped by address. */
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
