/**
 * `edgemu cluster share` (docs/cluster.md "Shares"): a directory on the host offered to pods as
 * a statically provisioned PersistentVolume, as Azure Stack Edge offers its shares
 * (learn.microsoft.com, azure-stack-edge-gpu-kubernetes-storage, "Static provisioning";
 * azure-stack-edge-gpu-deploy-stateful-application-static-provision-kubernetes). Pure: table-tested.
 */
import type { V1PersistentVolume, V1StorageClass } from '@kubernetes/client-node';

export const SHARE_LABEL = 'edgemu.io/share';
/** PVCs pick a share by `storageClassName: ase-share` (and `volumeName: <share>` for one share). */
export const SHARE_STORAGE_CLASS = 'ase-share';

export interface ShareSpec {
  name: string;
  /** Absolute directory on the node. */
  path: string;
  /** The node the directory is on: a `local` volume pinned to it; none: a `hostPath` volume usable on any node. */
  node?: string | undefined;
  /** Reported capacity (Kubernetes quantity); a host directory has no real limit. */
  capacity: string;
}

/**
 * The PersistentVolume of one share. `Retain`: deleting a claim or the share never deletes the
 * host's files (kubernetes.io/docs/concepts/storage/persistent-volumes, "Reclaiming"). With a node,
 * a `local` volume with node affinity, so the scheduler puts the pods that use it on that node
 * (".../volumes#local"); without, `hostPath` (".../volumes#hostpath").
 */
export function sharePersistentVolume(spec: ShareSpec): V1PersistentVolume & { metadata: { name: string } } {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: spec.name, labels: { [SHARE_LABEL]: spec.name }, annotations: { 'edgemu.io/share-path': spec.path } },
    spec: {
      capacity: { storage: spec.capacity },
      accessModes: ['ReadWriteOnce', 'ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: SHARE_STORAGE_CLASS,
      volumeMode: 'Filesystem',
      ...(spec.node === undefined
        ? { hostPath: { path: spec.path, type: 'Directory' } }
        : {
            local: { path: spec.path },
            nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [spec.node] }] }] } },
          }),
    },
  };
}

/** A Kubernetes quantity such as 10Gi, 500Mi, 1G (kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity). */
export const isQuantity = (value: string): boolean => /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(value);

/**
 * The class shares belong to: no provisioner (kubernetes.io/no-provisioner, ".../storage-classes#local"),
 * so a claim of it waits for a share instead of asking for a dynamic volume; Immediate, so a claim
 * naming a share binds at once (a `local` share still draws its pods to its node).
 */
export function shareStorageClass(): V1StorageClass & { metadata: { name: string } } {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: SHARE_STORAGE_CLASS, labels: { [SHARE_LABEL]: 'class' } },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'Immediate',
    reclaimPolicy: 'Retain',
  };
}
