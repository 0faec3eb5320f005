import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { createSasToken, openHubStore } from '../../../runtime/hub/index.js';
import { ensureTlsMaterial } from '../../../runtime/hub/tls-material.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { startServer, type Server } from '../../../runtime/server/start-server.js';

/**
 * A module that reconnects the moment a restarted hub listens (the SDKs retry within
 * milliseconds) must have its first message routed by the `$edgeHub` routes, never by the
 * default `$upstream` route: routing is wired before the hub accepts a connection.
 */

const EDGE = 'edge-1';
const edgeHub = { deviceId: EDGE, moduleId: '$edgeHub' };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

let dir: string | undefined;
let server: Server | undefined;
const clients: MqttClient[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.endAsync(true)));
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the server right after a restart', () => {
  it('routes a module output published in the first milliseconds by the $edgeHub routes (to the target input, not $upstream)', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgemu-race-'));
    const port = await freePort();
    const start = () => startServer({ stateDir: dir!, mqttsPort: port, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() });

    // The state a previous run left: identities, routes, TLS material. (Opened directly so this
    // process loads the server's modules for the first time in `start()`, as a restarted
    // `edgemu hub` does.)
    const store = openHubStore({ stateDir: dir });
    store.identities.createDevice(EDGE, { edge: true });
    for (const m of ['a', 'b']) store.identities.createModule(EDGE, m);
    store.twins.replaceDesired(edgeHub, { schemaVersion: '1.1', routes: { ab: 'FROM /messages/modules/a/outputs/* INTO BrokeredEndpoint("/modules/b/inputs/fromA")' } });
    const key = store.identities.get({ deviceId: EDGE, moduleId: 'a' })!.primaryKey;
    store.close();
    const { caCert: ca } = await ensureTlsMaterial(dir, ['localhost']);

    // Module a keeps reconnecting (every 1 ms) while the hub is down, and publishes on its
    // first CONNACK after the restart.
    const clientId = `${EDGE}/a`;
    const a = mqtt.connect(`mqtts://127.0.0.1:${port}`, {
      ca,
      clientId,
      username: `localhost/${clientId}/?api-version=2021-04-12`,
      password: createSasToken(`localhost/devices/${EDGE}/modules/a`, key, Math.floor(Date.now() / 1000) + 3600),
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 1,
      connectTimeout: 5000,
    });
    clients.push(a);
    a.on('error', () => {});
    const sent = new Promise<void>((resolve, reject) => {
      a.once('connect', () => {
        a.publish(`devices/${EDGE}/modules/a/messages/events/%24.on=out&%24.ct=application%2Fjson`, '{"first":true}', { qos: 1 }, (e) => (e ? reject(e) : resolve()));
      });
    });
    await new Promise((r) => setTimeout(r, 50)); // a few refused attempts first

    server = await start();
    await sent;

    // Routed to b's input (queued for b, which is not connected), nothing in $upstream.
    expect(server.hub.messages.read({ endpoint: '$upstream' }).filter((m) => m.moduleId === 'a')).toEqual([]);
    expect(server.router.queueDepth({ deviceId: EDGE, moduleId: 'b' })).toBe(1);
  });
});
