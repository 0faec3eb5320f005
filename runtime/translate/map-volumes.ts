import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { toK8sName } from '../manifest/index.js';
import { isEmpty, isObj, ordinal, shortHash, type Warn } from './create-options-values.js';
import { EXPERIMENTAL_KEY, type Experimental } from './k8s-experimental.js';
import type { MappedCreateOptions } from './translate-types.js';

/** Volume and mount names edgemu itself uses in every pod. */
export const HUB_CA_VOLUME = 'edgemu-hub-ca';
export const HUB_CA_MOUNT_PATH = '/etc/edgemu/hub-ca';
export const HUB_CA_FILE = 'ca.pem';

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

/**
 * `C:\\ProgramData\\x:C:\\y`, `C:/Dev/x:/d`: a bind whose source is a Windows path (Docker's
 * `volume/mounts` windows parser: a drive letter, `:` and a `\\` or `/`). Only the source matters:
 * such a bind cannot mount on a Linux node.
 */
const WINDOWS_PATH = /^[a-zA-Z]:[\\/]/;
/** A Windows source followed by an absolute target; `d:/a` and `d:/a:ro` stay volume `d` at `/a`, as Docker on Linux reads them. */
const WINDOWS_BIND = /^[a-zA-Z]:[\\/][^:]*:(?:\/|[a-zA-Z]:[\\/])/;

/**
 * Volumes (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Kubernetes/edgedeployment/pvc/KubernetesPvcMapper.cs, fixed): host paths → hostPath with the
 * unchecked type `""` (Kubernetes docs "Volumes", hostPath: "no checks will be performed"), as
 * Docker mounts whatever the path is — a directory, a file, `/var/run/docker.sock`, `/dev/video0`;
 * a `DirectoryOrCreate` would make a kubelet refuse a socket or device. Windows binds are warned
 * about and dropped (a Linux node has no such path); named volumes → a PVC per volume name (shared by
 * every module that names it, like a Docker volume), anonymous volumes and tmpfs → emptyDir.
 */
export function mapVolumes(anonymous: unknown, binds: unknown, mounts: unknown, experimental: Experimental['volumes'], out: MappedCreateOptions, warn: Warn): void {
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
    hostPath: { path: source, type: '' },
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
      if (WINDOWS_BIND.test(b)) {
        warn(`${path} ${JSON.stringify(b)} binds a Windows path, which cannot mount on a Linux node; ignored`);
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
        if (typeof source === 'string' && WINDOWS_PATH.test(source)) warn(`${path} binds the Windows path ${JSON.stringify(source)}, which cannot mount on a Linux node; ignored`);
        else if (typeof source !== 'string' || !source.startsWith('/')) warn(`${path} (bind) needs an absolute Source; ignored`);
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
