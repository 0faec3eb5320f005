import type { V1Capabilities, V1SecurityContext } from '@kubernetes/client-node';
import { booleanField, stringField, stringList, type Obj, type Warn } from './create-options-values.js';
import type { MappedCreateOptions } from './translate-types.js';

/**
 * Docker's user, privilege and capability options → the container `securityContext`; its
 * host-namespace modes (`NetworkMode`, `IpcMode`, `PidMode` = `host`) → the pod's host flags.
 */
export function mapSecurity(user: unknown, hc: Obj, out: MappedCreateOptions, warn: Warn): void {
  const sc: V1SecurityContext = {};
  // "Privileged": "true" is converted as edgeAgent's JSON reader does (booleanField).
  if (booleanField(hc.Privileged, 'createOptions.HostConfig.Privileged', warn) === true) sc.privileged = true;
  const caps: V1Capabilities = {};
  for (const key of ['CapAdd', 'CapDrop'] as const) {
    const list = stringList(hc[key], `createOptions.HostConfig.${key}`, warn);
    // Docker accepts `CAP_NET_ADMIN` and `NET_ADMIN`; Kubernetes wants the bare name.
    if (list !== undefined) caps[key === 'CapAdd' ? 'add' : 'drop'] = list.map((c) => c.toUpperCase().replace(/^CAP_/, ''));
  }
  if (caps.add !== undefined || caps.drop !== undefined) sc.capabilities = caps;
  if (booleanField(hc.ReadonlyRootfs, 'createOptions.HostConfig.ReadonlyRootfs', warn) === true) sc.readOnlyRootFilesystem = true;
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

export function mapNamespaces(hc: Obj, out: MappedCreateOptions, warn: Warn): void {
  const mode = (key: string, equivalent: string[]): 'host' | undefined => {
    const v = hc[key];
    if (v === undefined || v === null || v === '') return undefined;
    // Real manifests write "Host"; Kubernetes has one host namespace, so the case is not significant here.
    if (typeof v === 'string' && v.toLowerCase() === 'host') return 'host';
    if (typeof v === 'string' && equivalent.includes(v.toLowerCase())) return undefined;
    warn(`createOptions.HostConfig.${key} ${JSON.stringify(v)} is not supported on Kubernetes (only "host"); ignored`);
    return undefined;
  };
  // The pod network plays the part of IoT Edge's module network (`azure-iot-edge`).
  if (mode('NetworkMode', ['default', 'bridge', 'azure-iot-edge']) === 'host') {
    out.hostNetwork = true;
    // Docker discards published ports in host mode (docs.docker.com/engine/network/drivers/host), and
    // kube-apiserver refuses a hostPort that differs from containerPort with hostNetwork: drop those.
    for (const p of out.containerPorts) {
      if (p.hostPort === undefined || p.hostPort === p.containerPort) continue;
      warn(`createOptions.HostConfig.PortBindings: host port ${p.hostPort} of ${p.containerPort}/${(p.protocol ?? 'TCP').toLowerCase()} is discarded with NetworkMode host (the container port opens on the node itself)`);
      delete p.hostPort;
      delete p.hostIP;
    }
  }
  if (mode('IpcMode', ['private', 'shareable']) === 'host') out.hostIPC = true;
  if (mode('PidMode', []) === 'host') out.hostPID = true;
}
