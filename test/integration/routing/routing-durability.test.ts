import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import iotDevice from 'azure-iot-device';
import iotDeviceMqtt from 'azure-iot-device-mqtt';
import { formatDeviceConnectionString, openHubStore } from '../../../runtime/hub/index.js';
import { startHubProcess, stopHubProcess, type HubProcess } from '../../helpers/hub-process.js';

// CommonJS packages: named ESM imports are not available under plain Node.
const { ModuleClient, Message } = iotDevice;
const { Mqtt } = iotDeviceMqtt;
type ModuleClient = InstanceType<typeof ModuleClient>;
type Message = InstanceType<typeof Message>;

/**
 * Store-and-forward across a killed hub (`kill -9`, docs/routing.md "Delivery and
 * store-and-forward"): a module output the sender got its PUBACK for is in routing.db, so the
 * restarted hub delivers it — in order to a module that was offline, and at least once to a
 * module that was receiving while the hub died (an acknowledged delivery whose DELETE had not
 * been written yet is delivered again, never lost).
 */

const EDGE = 'edge-1';
const ROUTE = 'FROM /messages/modules/sender/outputs/out1 INTO BrokeredEndpoint("/modules/receiver/inputs/in1")';

const killed = (hub: HubProcess) => new Promise<void>((resolve) => (hub.proc.exitCode !== null || hub.proc.signalCode !== null ? resolve() : hub.proc.once('exit', () => resolve())));

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('routed messages across a SIGKILL of the hub', () => {
  let dir: string;
  let keys: Record<'sender' | 'receiver', string>;
  const hubs: HubProcess[] = [];
  const clients: ModuleClient[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgemu-routing-durable-'));
    const store = openHubStore({ stateDir: dir });
    try {
      store.identities.createDevice(EDGE, { edge: true });
      keys = { sender: store.identities.createModule(EDGE, 'sender').primaryKey, receiver: store.identities.createModule(EDGE, 'receiver').primaryKey };
      store.twins.replaceDesired({ deviceId: EDGE, moduleId: '$edgeHub' }, { schemaVersion: '1.1', routes: { r1: ROUTE }, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } });
    } finally {
      store.close();
    }
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => {});
    for (const h of hubs.splice(0)) await stopHubProcess(h);
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (): Promise<HubProcess> => {
    const hub = await startHubProcess(dir);
    hubs.push(hub);
    return hub;
  };
  const open = async (hub: HubProcess, moduleId: 'sender' | 'receiver'): Promise<ModuleClient> => {
    const client = ModuleClient.fromConnectionString(formatDeviceConnectionString({ hostName: `localhost:${hub.mqttsPort}`, deviceId: EDGE, moduleId, key: keys[moduleId] }), Mqtt);
    clients.push(client);
    await client.setOptions({ ca: hub.ca });
    await client.open();
    return client;
  };
  /** Sends `n` numbered outputs, 50 at a time; resolves once the hub acknowledged every one. */
  const send = async (sender: ModuleClient, from: number, n: number): Promise<void> => {
    for (let i = from; i < from + n; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, from + n - i) }, (_, k) => sender.sendOutputEvent('out1', new Message(String(i + k)))));
    }
  };
  const collect = (receiver: ModuleClient): number[] => {
    const got: number[] = [];
    receiver.on('inputMessage', (_input: string, msg: Message) => got.push(Number(msg.data.toString())));
    return got;
  };
  const sigkill = async (hub: HubProcess): Promise<void> => {
    hub.proc.kill('SIGKILL');
    await killed(hub);
    hubs.splice(hubs.indexOf(hub), 1);
    for (const c of clients.splice(0)) await c.close().catch(() => {});
  };

  it('delivers every acknowledged message for an offline module, in order, after the restart', async () => {
    const first = await start();
    await send(await open(first, 'sender'), 0, 300);
    await sigkill(first);

    const second = await start();
    const got = collect(await open(second, 'receiver'));
    await waitFor(() => got.length >= 300, '300 deliveries');
    await new Promise((r) => setTimeout(r, 200)); // nothing more comes
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('loses nothing a receiving module had not yet acknowledged, and delivers again what it had', async () => {
    const first = await start();
    const before = collect(await open(first, 'receiver'));
    const sender = await open(first, 'sender');
    await new Promise((r) => setTimeout(r, 200)); // the receiver's inputs subscription is granted
    await send(sender, 0, 300);
    await sigkill(first); // some deliveries acknowledged, their DELETEs not all written

    const second = await start();
    const after = collect(await open(second, 'receiver'));
    await waitFor(() => new Set([...before, ...after]).size >= 300, 'every message received at least once');
    expect(new Set([...before, ...after])).toEqual(new Set(Array.from({ length: 300 }, (_, i) => i)));
    expect(after).toEqual([...after].sort((a, b) => a - b)); // what the restarted hub delivers comes in order
  });
});
