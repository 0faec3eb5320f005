import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { CoreV1Api, StorageV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from './cluster-errors.js';
import { apiFailure, statusOf } from './kube-api-errors.js';
import { DNS_LABEL_HINT, dnsLabelProblem } from './access-names.js';
import { isQuantity, sharePersistentVolume, shareStorageClass, SHARE_LABEL } from './share-objects.js';

/**
 * `edgemu cluster share create|delete|list` (docs/cluster.md "Shares"): host directories as
 * static PersistentVolumes. Checks run before the one write.
 */
export interface ShareInfo {
  name: string;
  path: string;
  node?: string;
  phase: string;
  claim?: string;
}

export async function createShare(options: { kc: KubeConfig; name: string; path: string; node?: string | undefined; capacity?: string }): Promise<ShareInfo> {
  const problem = dnsLabelProblem(options.name);
  if (problem !== undefined) throw new ClusterError('NAME_INVALID', `invalid share name "${options.name}": ${problem}; ${DNS_LABEL_HINT}`);
  const capacity = options.capacity ?? '10Gi';
  if (!isQuantity(capacity)) throw new ClusterError('NAME_INVALID', `invalid --capacity "${capacity}": use a Kubernetes quantity such as 10Gi or 500Mi`);
  if (!isAbsolute(options.path)) throw new ClusterError('PATH_INVALID', `--path must be an absolute directory on the node, got "${options.path}"`);
  const info = await stat(options.path).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) throw new ClusterError('PATH_INVALID', `--path ${options.path} is not an existing directory`);
  const core = options.kc.makeApiClient(CoreV1Api);
  if (options.node !== undefined) {
    await core.readNode({ name: options.node }).catch((error: unknown) => {
      throw statusOf(error) === 404 ? new ClusterError('NODE_UNAVAILABLE', `node "${options.node}" does not exist`) : apiFailure(`reading node ${options.node}`, error);
    });
  }
  await options.kc
    .makeApiClient(StorageV1Api)
    .createStorageClass({ body: shareStorageClass() })
    .catch((error: unknown) => {
      if (statusOf(error) !== 409) throw apiFailure('creating StorageClass ase-share', error);
    });
  try {
    await core.createPersistentVolume({ body: sharePersistentVolume({ name: options.name, path: options.path, node: options.node, capacity }) });
  } catch (error) {
    if (statusOf(error) === 409) throw new ClusterError('SHARE_EXISTS', `a PersistentVolume named "${options.name}" already exists`);
    throw apiFailure(`creating PersistentVolume ${options.name}`, error);
  }
  return { name: options.name, path: options.path, ...(options.node === undefined ? {} : { node: options.node }), phase: 'Pending' };
}

export async function listShares(options: { kc: KubeConfig }): Promise<ShareInfo[]> {
  const core = options.kc.makeApiClient(CoreV1Api);
  const list = await core.listPersistentVolume({ labelSelector: SHARE_LABEL }).catch((error: unknown) => {
    throw apiFailure('listing PersistentVolumes', error);
  });
  return list.items
    .map((pv): ShareInfo => {
      const node = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values?.[0];
      const claim = pv.spec?.claimRef === undefined ? undefined : `${pv.spec.claimRef.namespace ?? ''}/${pv.spec.claimRef.name ?? ''}`;
      return {
        name: pv.metadata?.name ?? '',
        path: pv.spec?.local?.path ?? pv.spec?.hostPath?.path ?? '',
        ...(node === undefined ? {} : { node }),
        phase: pv.status?.phase ?? 'Pending',
        ...(claim === undefined ? {} : { claim }),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Deletes the PersistentVolume (never the host directory); refused while a claim is bound to it. */
export async function deleteShare(options: { kc: KubeConfig; name: string }): Promise<{ name: string }> {
  const core = options.kc.makeApiClient(CoreV1Api);
  const pv = await core.readPersistentVolume({ name: options.name }).catch((error: unknown) => {
    throw statusOf(error) === 404 ? new ClusterError('SHARE_NOT_FOUND', `no share named "${options.name}"`) : apiFailure(`reading PersistentVolume ${options.name}`, error);
  });
  if (pv.metadata?.labels?.[SHARE_LABEL] === undefined) throw new ClusterError('SHARE_NOT_FOUND', `PersistentVolume "${options.name}" is not a share made by \`edgemu cluster share create\``);
  if (pv.status?.phase === 'Bound' && pv.spec?.claimRef !== undefined) {
    throw new ClusterError('SHARE_IN_USE', `share "${options.name}" is bound to the claim ${pv.spec.claimRef.namespace ?? ''}/${pv.spec.claimRef.name ?? ''}; delete that claim first`);
  }
  await core.deletePersistentVolume({ name: options.name }).catch((error: unknown) => {
    if (statusOf(error) !== 404) throw apiFailure(`deleting PersistentVolume ${options.name}`, error);
  });
  return { name: options.name };
}
