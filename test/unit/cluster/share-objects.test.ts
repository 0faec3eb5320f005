import { describe, expect, it } from 'vitest';
import { isQuantity, sharePersistentVolume, shareStorageClass, SHARE_LABEL, SHARE_STORAGE_CLASS } from '../../../runtime/cluster/share-objects.js';

describe('the PersistentVolume of a share', () => {
  it('on a node: a local volume pinned to that node, Retain, class ase-share', () => {
    const pv = sharePersistentVolume({ name: 'media', path: '/srv/media', node: 'edgemu-node', capacity: '10Gi' });
    expect(pv.metadata).toMatchObject({ name: 'media', labels: { [SHARE_LABEL]: 'media' } });
    expect(pv.spec).toMatchObject({
      capacity: { storage: '10Gi' },
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: SHARE_STORAGE_CLASS,
      local: { path: '/srv/media' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['edgemu-node'] }] }] } },
    });
    expect(pv.spec?.hostPath).toBeUndefined();
    expect(pv.spec?.accessModes).toEqual(expect.arrayContaining(['ReadWriteOnce', 'ReadWriteMany']));
  });

  it('without a node: a hostPath volume of an existing directory, no node affinity', () => {
    const pv = sharePersistentVolume({ name: 'media', path: '/srv/media', capacity: '1Gi' });
    expect(pv.spec?.hostPath).toEqual({ path: '/srv/media', type: 'Directory' });
    expect(pv.spec?.nodeAffinity).toBeUndefined();
    expect(pv.spec?.local).toBeUndefined();
  });

  it('belongs to a class with no provisioner that binds at once', () => {
    expect(shareStorageClass()).toMatchObject({ metadata: { name: 'ase-share' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'Immediate' });
  });

  it.each([
    ['10Gi', true],
    ['500Mi', true],
    ['1G', true],
    ['1.5Gi', true],
    ['10 GB', false],
    ['lots', false],
    ['', false],
  ])('capacity %j is a quantity: %s', (value, ok) => {
    expect(isQuantity(value)).toBe(ok);
  });
});
