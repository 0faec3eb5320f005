import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHost } from '../../../runtime/agent/agent-host.js';
import { ClientNodeKubeApi } from '../../../runtime/agent/kubernetes/client-node-kube-api.js';
import { systemClock } from '../../../runtime/clock.js';
import { openHubStore } from '../../../runtime/hub/index.js';
import { deadCluster, deadPort } from '../../helpers/dead-cluster.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('AgentHost', () => {
  it('starts an edge device agent only once its hub link is up: no failing passes or warnings while the hub is unreachable', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-agent-host-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = openHubStore({ stateDir: dir });
    cleanups.push(() => store.close());
    store.identities.createDevice('edge-1', { edge: true });
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const kubeConfig = await deadCluster();
    const host = new AgentHost({
      store,
      hub: { hostName: 'localhost', mqttsPort: await deadPort(), caCert: '' },
      kube: new ClientNodeKubeApi(kubeConfig),
      clock: systemClock,
      logger,
    });
    cleanups.push(() => host.stop());
    host.start();
    await host.scan();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(host.devices).toEqual(['edge-1']);
    expect(host.agentFor('edge-1')!.loop.passes).toBe(0);
    expect(lines.filter((l) => l.includes('reconcile pass failed'))).toEqual([]);
    expect(lines.some((l) => l.includes('cannot connect to the hub as $edgeAgent'))).toBe(true);
  });

  it('starts an agent for an edge device created after it started, and stops it when the device is deleted (identity events, no polling)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-agent-host-events-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = openHubStore({ stateDir: dir });
    cleanups.push(() => store.close());
    const kubeConfig = await deadCluster();
    let changed: (() => void) | undefined;
    const host = new AgentHost({
      store,
      hub: { hostName: 'localhost', mqttsPort: await deadPort(), caCert: '' },
      kube: new ClientNodeKubeApi(kubeConfig),
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      identityChanges: (listener) => ((changed = listener), () => (changed = undefined)),
    });
    cleanups.push(() => host.stop());
    host.start();
    await host.scan();
    expect(host.devices).toEqual([]);
    store.identities.createDevice('late-1', { edge: true });
    store.identities.createDevice('plain-1');
    expect(host.devices).toEqual([]); // nothing happens until the hub tells
    changed!();
    await host.scan();
    expect(host.devices).toEqual(['late-1']);
    store.identities.delete({ deviceId: 'late-1' });
    changed!();
    await host.scan();
    expect(host.devices).toEqual([]);
  });
});
