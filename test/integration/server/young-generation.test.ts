import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type tls from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHubStore } from '../../../runtime/hub/index.js';
import { startHubProcess, stopHubProcess, type HubProcess } from '../../helpers/hub-process.js';
import { rawConnect, rawDeviceConnect } from '../../helpers/raw-mqtt.js';
import { createSasToken } from '../../../runtime/hub/index.js';
import { waitFor } from '../../helpers/hub.js';

// The hub process holds V8's young generation at its initial size while its connections are
// idle and lets it grow once messages flow (runtime/server/young-generation.ts). A preload in
// the `edgemu hub` process writes V8's new-space size (nodejs.org/api/v8.html#v8getheapspacestatistics)
// to a file on SIGWINCH.
const PRELOAD = `import v8 from 'node:v8';
import fs from 'node:fs';
let n = 0;
process.on('SIGWINCH', () => {
  const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  fs.writeFileSync(process.env.EDGEMU_TEST_MARKS + '/' + n++ + '.json', JSON.stringify({ newSpace: space.space_size }));
});
`;
const CONNECTIONS = 1000;

describe('the young generation of the hub process', () => {
  let dir: string;
  let marks: string;
  let hub: HubProcess;
  const keys = new Map<string, string>();
  const sockets: tls.TLSSocket[] = [];
  const clients: MqttClient[] = [];
  let taken = 0;

  /** V8's new-space size in the hub process now. */
  const newSpace = async (): Promise<number> => {
    const file = path.join(marks, `${taken++}.json`);
    process.kill(hub.pid, 'SIGWINCH');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').endsWith('}'), 10_000);
    return (JSON.parse(readFileSync(file, 'utf8')) as { newSpace: number }).newSpace;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgemu-young-'));
    marks = path.join(dir, 'marks');
    mkdirSync(marks);
    writeFileSync(path.join(dir, 'preload.mjs'), PRELOAD);
    const store = openHubStore({ stateDir: dir });
    store.transaction(() => {
      for (let i = 0; i <= CONNECTIONS; i++) keys.set(`idle${i}`, store.identities.createDevice(`idle${i}`).primaryKey);
    });
    store.close();
    process.env.EDGEMU_TEST_MARKS = marks;
    hub = await startHubProcess(dir, ['--import', pathToFileURL(path.join(dir, 'preload.mjs')).href]);
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    for (const s of sockets) s.destroy();
    if (hub) await stopHubProcess(hub);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays at the size it started with while a thousand TLS clients connect and idle, then may grow once messages flow', async () => {
    const before = await newSpace();
    for (let i = 0; i < CONNECTIONS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, CONNECTIONS - i) }, (_, j) => rawDeviceConnect({ port: hub.mqttsPort, ca: hub.ca, deviceId: `idle${i + j}`, key: keys.get(`idle${i + j}`)! })),
      );
      for (const c of batch) {
        expect(c.returnCode).toBe(0);
        sockets.push(c.socket);
      }
    }
    expect(await newSpace()).toBe(before);

    // Telemetry, 200 QoS 1 PUBLISHes in flight, until the hub logs that the young generation may
    // grow (it needs two half-second samples at ≥ 1,000 msg/s), for at most 20 s.
    const sender = 'idle' + CONNECTIONS;
    const token = createSasToken(`localhost:${hub.mqttsPort}/devices/${sender}`, keys.get(sender)!, Math.floor(Date.now() / 1000) + 3600);
    const client = await rawConnect({ mqttsPort: hub.mqttsPort, caCert: hub.ca }, sender, { password: token }, clients);
    const lifted = () => readFileSync(path.join(dir, 'hub.log'), 'utf8').includes("V8's young generation may grow now");
    expect(lifted()).toBe(false);
    const start = Date.now();
    let sent = 0;
    while (!lifted() && Date.now() - start < 20_000) {
      await Promise.all(Array.from({ length: 200 }, () => client.publishAsync(`devices/${sender}/messages/events/`, 'x'.repeat(64), { qos: 1 })));
      sent += 200;
    }
    expect(lifted(), `${sent} messages in ${Date.now() - start} ms`).toBe(true);
    expect(sent).toBeGreaterThanOrEqual(1000);
  });
});
