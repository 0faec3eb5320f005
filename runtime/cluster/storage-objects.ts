/**
 * The default StorageClass and the API objects rancher's local-path-provisioner needs
 * (github.com/rancher/local-path-provisioner, deploy/local-path-storage.yaml), for a provisioner
 * that runs as a host process like the other components. Pure: table-tested.
 */
export const STORAGE_NAMESPACE = 'local-path-storage';
export const STORAGE_CONFIGMAP = 'local-path-config';
export const STORAGE_CLASS = 'local-path';
export const PROVISIONER_NAME = 'rancher.io/local-path';
/**
 * Azure Stack Edge's dynamic StorageClass (learn.microsoft.com, azure-stack-edge-gpu-deploy-stateful-application-dynamic-provision-kubernetes):
 * the same provisioner under the device's name, so its manifests (`storageClassName: ase-node-local`,
 * ReadWriteOnce) run unchanged. Not the default class.
 */
export const ASE_STORAGE_CLASS = 'ase-node-local';
/** Label on helper pods: the simulated pool completes them at once (edgemu-simulate.yaml). */
export const VOLUME_HELPER_LABEL = 'edgemu.io/volume-helper';

export function storageObjects(options: { volumesDir: string; helperImage: string }): { path: string; body: Record<string, unknown> }[] {
  const config = { nodePathMap: [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: [options.volumesDir] }] };
  const helperPod = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: helper-pod',
    `  labels: {${JSON.stringify(VOLUME_HELPER_LABEL)}: "true"}`,
    'spec:',
    '  containers:',
    '  - name: helper-pod',
    `    image: ${JSON.stringify(options.helperImage)}`,
    '    imagePullPolicy: Never',
    '',
  ].join('\n');
  return [
    { path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: STORAGE_NAMESPACE } } },
    {
      path: `/api/v1/namespaces/${STORAGE_NAMESPACE}/configmaps`,
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: STORAGE_CONFIGMAP, namespace: STORAGE_NAMESPACE },
        data: {
          'config.json': JSON.stringify(config),
          setup: '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
          teardown: '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
          'helperPod.yaml': helperPod,
        },
      },
    },
    {
      path: '/apis/storage.k8s.io/v1/storageclasses',
      body: {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: PROVISIONER_NAME,
        // the volume is made on the node the pod is scheduled to (real or simulated)
        volumeBindingMode: 'WaitForFirstConsumer',
        reclaimPolicy: 'Delete',
      },
    },
    {
      path: '/apis/storage.k8s.io/v1/storageclasses',
      body: {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: ASE_STORAGE_CLASS, labels: { 'edgemu.io/alias-of': STORAGE_CLASS } },
        provisioner: PROVISIONER_NAME,
        volumeBindingMode: 'WaitForFirstConsumer',
        reclaimPolicy: 'Delete',
      },
    },
  ];
}

/** The provisioner's command line (its `start` subcommand; objects above must exist first). */
export function provisionerArgs(options: { kubeconfig: string; helperImage: string }): string[] {
  return [
    'start',
    `--kubeconfig=${options.kubeconfig}`,
    `--namespace=${STORAGE_NAMESPACE}`,
    `--configmap-name=${STORAGE_CONFIGMAP}`,
    `--provisioner-name=${PROVISIONER_NAME}`,
    `--helper-image=${options.helperImage}`,
    '--service-account-name=default',
  ];
}
