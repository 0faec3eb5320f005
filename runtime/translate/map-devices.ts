import type { V1Volume } from '@kubernetes/client-node';
import { toK8sName } from '../manifest/index.js';
import { isEmpty, isObj, shortHash, type Warn } from './create-options-values.js';
import type { MappedCreateOptions } from './translate-types.js';

/**
 * `HostConfig.Devices` (Docker Engine API `DeviceMapping`: `PathOnHost`, `PathInContainer`,
 * `CgroupPermissions`) → device access on the node. Kubernetes has no device mapping for
 * ordinary devices: the device node is mounted with a hostPath of type `CharDevice` (Kubernetes
 * docs "Volumes", hostPath types) at `PathInContainer`, and because the kubelet adds no device
 * cgroup rule for a hostPath, the container is made privileged so it may open the device (the
 * documented way for device access without a device plugin). A warning says so. Runs after
 * `mapVolumes` and `mapSecurity`, whose volumes and securityContext it extends.
 */
export function mapDevices(devices: unknown, out: MappedCreateOptions, warn: Warn): void {
  if (isEmpty(devices)) return;
  if (!Array.isArray(devices)) {
    warn('createOptions.HostConfig.Devices is not a list and was ignored');
    return;
  }
  const mounted = new Set(out.volumeMounts.map((m) => m.mountPath));
  let mappedAny = false;
  devices.forEach((d: unknown, i) => {
    const path = `createOptions.HostConfig.Devices[${i}]`;
    const onHost = isObj(d) ? d.PathOnHost : undefined;
    const inContainer = isObj(d) && typeof d.PathInContainer === 'string' && d.PathInContainer !== '' ? d.PathInContainer : onHost;
    if (typeof onHost !== 'string' || !onHost.startsWith('/') || typeof inContainer !== 'string' || !inContainer.startsWith('/')) {
      warn(`${path} needs an absolute PathOnHost (and PathInContainer); ignored`);
      return;
    }
    if (mounted.has(inContainer)) {
      warn(`${path}: ${inContainer} is already mounted; ignored`);
      return;
    }
    if (isObj(d) && typeof d.CgroupPermissions === 'string' && d.CgroupPermissions !== '' && d.CgroupPermissions !== 'rwm') {
      warn(`${path}.CgroupPermissions ${JSON.stringify(d.CgroupPermissions)} cannot be narrowed on Kubernetes; the privileged container gets rwm`);
    }
    mounted.add(inContainer);
    const volume: V1Volume = { name: `dev-${toK8sName(onHost.replaceAll('/', '-'), 40)}-${shortHash(onHost)}`, hostPath: { path: onHost, type: 'CharDevice' } };
    if (!out.volumes.some((v) => v.name === volume.name)) out.volumes.push(volume);
    out.volumeMounts.push({ name: volume.name, mountPath: inContainer });
    mappedAny = true;
  });
  if (mappedAny) {
    if (out.securityContext?.privileged !== true) {
      warn('createOptions.HostConfig.Devices: Kubernetes grants device access to privileged containers only; the container runs privileged');
    }
    out.securityContext = { ...out.securityContext, privileged: true };
  }
}
