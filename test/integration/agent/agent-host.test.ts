import { KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHost } from '../../../runtime/agent/agent-host.js';
import { systemClock } from '../../../runtime/clock.js';
import { openHubStore } from '../../../runtime/hub/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('AgentHost', () => {
  it('starts an edge device agent only once its hub link is up: no failing passes or warnings while the hub is unreachable', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-agent-host-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = openHubStore({ stateDir: dir });
    cleanups.push(() => store.close());
    store.identities.createDevice('edge-1', { edge: true });
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${await deadPort()}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const host = new AgentHost({
      store,
      hub: { hostName: 'localhost', mqttsPort: await deadPort(), caCert: '' },
      kubeConfig,
      clock: systemClock,
      logger,
      scanIntervalMs: 100_000,
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
});
