import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientNodeKubeApi } from '../../../../runtime/agent/index.js';
import { supportBundleSources } from '../../../../runtime/agent/methods/support-bundle-sources.js';
import { deviceNamespace } from '../../../../runtime/translate/index.js';
import { kubeConfig } from '../../../helpers/k8s.js';

describe("the support bundle's cluster events, from the real API server", () => {
  const deviceId = `bundle-${randomBytes(3).toString('hex')}`;
  const namespace = deviceNamespace(deviceId);
  const core = kubeConfig().makeApiClient(CoreV1Api);

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace, labels: { 'edgemu.io/test': 'true' } } } });
    for (const [name, time] of [['second', '2026-12-02T01:00:02Z'], ['first', '2026-12-02T01:00:01Z']] as const) {
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name, namespace },
          involvedObject: { kind: 'Pod', name: 'sensor-abc', namespace },
          reason: name === 'first' ? 'Scheduled' : 'Pulled',
          message: `${name} event`,
          type: 'Normal',
          firstTimestamp: new Date(time),
          lastTimestamp: new Date(time),
        },
      });
    }
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  const sources = () => supportBundleSources({ twins: { get: () => undefined } } as never, new ClientNodeKubeApi(kubeConfig()));

  it("lists the device namespace's events oldest first, without managedFields", async () => {
    const events = (await sources().clusterEvents(deviceId)) as Array<{ reason: string; message: string; metadata: Record<string, unknown> }>;
    expect(events.map((e) => [e.reason, e.message])).toEqual([
      ['Scheduled', 'first event'],
      ['Pulled', 'second event'],
    ]);
    expect(events.every((e) => e.metadata.managedFields === undefined && e.metadata.namespace === namespace)).toBe(true);
  });

  it('gives an empty list for a device whose namespace does not exist', async () => {
    expect(await sources().clusterEvents(`${deviceId}-none`)).toEqual([]);
  });
});
