import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { STORAGE_NAMESPACE, VOLUME_HELPER_LABEL, provisionerArgs, storageObjects } from '../../../runtime/cluster/storage-objects.js';

const objects = storageObjects({ volumesDir: '/var/lib/edgemu/x/volumes', helperImage: 'edgemu.local/busybox:v1' });
const byKind = (kind: string) => objects.find((o) => o.body.kind === kind)!.body;
const byName = (name: string) => objects.find((o) => (o.body.metadata as { name: string }).name === name)!.body;

describe('the default StorageClass and its provisioner', () => {
  it('is the default class, provisioned by rancher.io/local-path on the node the pod lands on', () => {
    expect(byKind('StorageClass')).toMatchObject({
      metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
  });

  it('also offers Azure Stack Edge’s ase-node-local: the same provisioner and binding, not the default', () => {
    const ase = byName('ase-node-local');
    const local = byName('local-path');
    expect(ase).toMatchObject({ provisioner: local.provisioner, volumeBindingMode: local.volumeBindingMode, reclaimPolicy: local.reclaimPolicy });
    expect((ase.metadata as { annotations?: unknown }).annotations).toBeUndefined();
  });

  it('keeps volumes under the node’s data dir and runs helper pods from the local image, labelled for the simulated pool', () => {
    const data = byKind('ConfigMap').data as Record<string, string>;
    expect(JSON.parse(data['config.json']!)).toEqual({ nodePathMap: [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: ['/var/lib/edgemu/x/volumes'] }] });
    const helper = parse(data['helperPod.yaml']!) as { metadata: { labels: Record<string, string> }; spec: { containers: unknown[] } };
    expect(helper.metadata.labels[VOLUME_HELPER_LABEL]).toBe('true');
    expect(helper.spec.containers[0]).toMatchObject({ image: 'edgemu.local/busybox:v1', imagePullPolicy: 'Never' });
    expect(data.setup).toContain('mkdir -m 0777 -p "$VOL_DIR"');
    expect(data.teardown).toContain('rm -rf "$VOL_DIR"');
  });

  it('creates the namespace before what lives in it, and the provisioner reads its config from there', () => {
    expect(objects.map((o) => o.body.kind)).toEqual(['Namespace', 'ConfigMap', 'StorageClass', 'StorageClass']);
    expect(provisionerArgs({ kubeconfig: '/k', helperImage: 'i' })).toEqual(expect.arrayContaining(['start', `--namespace=${STORAGE_NAMESPACE}`, '--configmap-name=local-path-config']));
  });
});
