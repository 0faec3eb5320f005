import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import rhea, { type Connection, type EventContext } from 'rhea';
import { Message, type Client } from 'azure-iot-device';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { amqpDeviceClient } from '../../helpers/amqp.js';
import { cbsConnection } from '../../../bench/amqp-cbs.js';
import { createSasToken } from '../../../runtime/hub/sas.js';
import { CONNECTION_BYTE_BUDGET, INCOMING_WINDOW, LINK_BYTE_BUDGET, MAX_TRANSFER_BYTES } from '../../../runtime/hub/amqp/incoming-credit.js';
import type { MessageRouter } from '../../../runtime/hub/message-router.js';

/** The default router (durable `$upstream`), with a gate: while closed, nothing routed is stored. */
let gateOpen = true;
let held: Array<() => void> = [];
let routed = 0;
/** Body bytes routed while the gate was closed: what the hub holds unsettled. */
let routedBytes = 0;
const router: MessageRouter = {
  route(message) {
    routed++;
    if (!gateOpen) routedBytes += message.body.length;
    const store = () => t.hub.messages.persist(message, '$upstream');
    if (gateOpen) return store();
    return new Promise<void>((resolve) => held.push(resolve)).then(store);
  },
};
const openGate = () => {
  gateOpen = true;
  for (const release of held) release();
  held = [];
};

let t: TestHub;
const expiry = Math.floor(Date.now() / 1000) + 3600;
const stored = (deviceId: string) => t.hub.messages.read({ deviceId }, 100_000);
/** Message ids in the store, as the store reports them after each commit. */
const durable = new Set<string>();

beforeAll(async () => {
  t = await startTestHub({ amqpsPort: 0, router });
  t.hub.messages.subscribe((m) => durable.add(`${m.deviceId}/${m.systemProperties.mid}`));
});
afterAll(async () => {
  openGate();
  await t?.close();
});

async function rawSender(deviceId: string): Promise<Connection> {
  t.createDevice(deviceId);
  const key = t.hub.store.identities.get({ deviceId })!.primaryKey;
  const audience = `localhost/devices/${deviceId}`;
  return cbsConnection({ port: t.hub.amqpsPort!, ca: t.hub.caCert, audience, token: createSasToken(audience, key, expiry) });
}

/** A link's credit on an idle link: its window, or its byte budget at the largest transfer, whichever is less. */
const LINK_CREDIT = Math.min(INCOMING_WINDOW, Math.floor(LINK_BYTE_BUDGET / MAX_TRANSFER_BYTES));

/** Puts a token for one more device on `connection`'s `$cbs` (one connection, several identities). */
async function putToken(connection: Connection, deviceId: string): Promise<void> {
  t.createDevice(deviceId);
  const key = t.hub.store.identities.get({ deviceId })!.primaryKey;
  const audience = `localhost/devices/${deviceId}`;
  // The hub answers on the `$cbs` link attached last.
  const replies = connection.open_receiver('$cbs');
  await new Promise((resolve) => replies.once('receiver_open', resolve));
  await new Promise<void>((resolve, reject) => {
    replies.on('message', (c: EventContext) => (c.message?.application_properties?.['status-code'] === 200 ? resolve() : reject(new Error('put-token refused'))));
    const s = connection.open_sender('$cbs');
    s.once('sendable', () => s.send({ message_id: deviceId, reply_to: 'cbs', application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience }, body: createSasToken(audience, key, expiry) }));
  });
}

describe('AMQP telemetry flow control: credit follows what is durably stored', () => {
  it('grants no more than the link window while nothing is stored, settles nothing before it is stored, and takes the rest once the store goes on', async () => {
    const connection = await rawSender('credit1');
    try {
      const sender = connection.open_sender({ target: { address: '/devices/credit1/messages/events' } });
      await new Promise((resolve) => sender.once('sendable', resolve));
      gateOpen = false;
      routed = 0;
      const total = LINK_CREDIT + 500;
      const mids = new Map<unknown, string>();
      const accepted = new Set<string>();
      const durableWhenAccepted: boolean[] = [];
      sender.on('accepted', (c: EventContext) => {
        const mid = mids.get(c.delivery)!;
        accepted.add(mid);
        durableWhenAccepted.push(durable.has(`credit1/${mid}`));
      });
      // More than the window, queued at once (rhea sends as far as the hub's credit goes).
      for (let i = 0; i < total; i++) mids.set(sender.send({ message_id: `m${i}`, body: rhea.message.data_section(Buffer.from(`m${i}`)) }), `m${i}`);
      await waitFor(() => routed === LINK_CREDIT, 10_000, 'the window to fill');
      // The hub holds a full window and has granted nothing more: the sender is out of credit.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(routed).toBe(LINK_CREDIT);
      expect(sender.sendable()).toBe(false);
      expect(accepted.size).toBe(0);
      expect(stored('credit1')).toHaveLength(0);

      openGate();
      await waitFor(() => accepted.size === total, 20_000, 'every transfer to be accepted');
      const bodies = stored('credit1').map((m) => m.body.toString());
      expect(bodies).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
      // Each disposition arrived after its message was committed.
      expect(durableWhenAccepted.filter(Boolean)).toHaveLength(total);
    } finally {
      openGate();
      connection.close();
    }
  });

  it('accepts a stored batch in a few disposition frames of delivery-id ranges and grants its credit back in as few flow frames, each after the store', async () => {
    const connection = await rawSender('ranges1');
    try {
      const sender = connection.open_sender({ target: { address: '/devices/ranges1/messages/events' } });
      await new Promise((resolve) => sender.once('sendable', resolve));
      const total = 50;
      // The frames the hub sends back on the sender's session (AMQP 1.0 §2.7.6 disposition, §2.7.4 flow).
      const session = sender.session as unknown as Record<'on_disposition' | 'on_flow', (frame: { performative: { first: number; last?: number; settled?: boolean } }) => void>;
      const ranges: Array<{ first: number; last: number; durable: number }> = [];
      let flows = 0;
      const onDisposition = session.on_disposition.bind(session);
      const onFlow = session.on_flow.bind(session);
      session.on_disposition = (frame) => {
        const { first, last } = frame.performative;
        ranges.push({ first, last: last ?? first, durable: stored('ranges1').length });
        onDisposition(frame);
      };
      session.on_flow = (frame) => {
        flows++;
        onFlow(frame);
      };
      gateOpen = false;
      routed = 0;
      let accepted = 0;
      sender.on('accepted', () => accepted++);
      for (let i = 0; i < total; i++) sender.send({ message_id: `r${i}`, body: rhea.message.data_section(Buffer.from(`r${i}`)) });
      await waitFor(() => routed === total, 10_000, 'every transfer to be routed');
      expect(ranges).toHaveLength(0);
      flows = 0;
      openGate();
      await waitFor(() => accepted === total, 10_000, 'every transfer to be accepted');
      // One group commit's deliveries are consecutive ids with one outcome: a range per frame, not a frame per delivery.
      expect(ranges.length).toBeLessThanOrEqual(5);
      expect(ranges.reduce((n, r) => n + r.last - r.first + 1, 0)).toBe(total);
      // No range went out before every message in it was stored.
      for (const r of ranges) expect(r.durable).toBeGreaterThanOrEqual(r.last - ranges[0]!.first + 1);
      expect(flows).toBeLessThanOrEqual(5);
      expect(flows).toBeGreaterThan(0);
    } finally {
      openGate();
      connection.close();
    }
  });

  it('settles each of hundreds of concurrent sendEvent calls of the unmodified azure-iot-device-amqp client only once its message is stored', async () => {
    const client: Client = await amqpDeviceClient(t, 'credit2');
    await client.open();
    try {
      const count = 600;
      const seen: boolean[] = [];
      await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const m = new Message(`e${i}`);
          m.messageId = `e${i}`;
          await client.sendEvent(m);
          seen[i] = durable.has(`credit2/e${i}`);
        }),
      );
      expect(seen.filter(Boolean)).toHaveLength(count);
      expect(stored('credit2')).toHaveLength(count);
    } finally {
      await client.close();
    }
  });

  it("holds no more than the link's byte budget unsettled when every message is as large as the hub takes", async () => {
    const connection = await rawSender('bytes1');
    try {
      const sender = connection.open_sender({ target: { address: '/devices/bytes1/messages/events' } });
      await new Promise((resolve) => sender.once('sendable', resolve));
      expect((sender as unknown as { remote: { attach: { max_message_size?: number } } }).remote.attach.max_message_size).toBe(MAX_TRANSFER_BYTES);
      gateOpen = false;
      routed = 0;
      routedBytes = 0;
      const body = 250_000; // under IoT Hub's 256 KB body limit
      const total = LINK_CREDIT + 20;
      let accepted = 0;
      sender.on('accepted', () => accepted++);
      for (let i = 0; i < total; i++) sender.send({ message_id: `b${i}`, body: rhea.message.data_section(Buffer.alloc(body, i % 256)) });
      await waitFor(() => routed === LINK_CREDIT, 20_000, 'the byte budget to fill');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Without the byte budget the count window alone would let 1000 such messages (250 MB) in.
      expect(routed).toBe(LINK_CREDIT);
      expect(routedBytes).toBeLessThanOrEqual(LINK_BYTE_BUDGET);
      expect(accepted).toBe(0);
      openGate();
      await waitFor(() => accepted === total, 30_000, 'every transfer to be accepted');
      expect(stored('bytes1')).toHaveLength(total);
    } finally {
      openGate();
      connection.close();
    }
  });

  it("holds no more than the connection's byte budget over several links, releases what comes beyond it, and loses nothing", async () => {
    const connection = await rawSender('bytes2-0');
    const devices = ['bytes2-0', 'bytes2-1', 'bytes2-2'];
    try {
      for (const d of devices.slice(1)) await putToken(connection, d);
      const senders = devices.map((d) => connection.open_sender({ target: { address: `/devices/${d}/messages/events` } }));
      await Promise.all(senders.map((s) => new Promise((resolve) => s.once('sendable', resolve))));
      gateOpen = false;
      routed = 0;
      routedBytes = 0;
      const body = 250_000;
      const perLink = LINK_CREDIT;
      const accepted = new Set<string>();
      const released: Array<{ sender: (typeof senders)[number]; mid: string }> = [];
      const mids = new Map<unknown, string>();
      senders.forEach((sender, k) => {
        sender.on('accepted', (c: EventContext) => accepted.add(mids.get(c.delivery)!));
        sender.on('released', (c: EventContext) => released.push({ sender, mid: mids.get(c.delivery)! }));
        for (let i = 0; i < perLink; i++) mids.set(sender.send({ message_id: `${k}-${i}`, body: rhea.message.data_section(Buffer.alloc(body, k)) }), `${k}-${i}`);
      });
      // Three links' credit (3 × 32 MB) is more than the connection's 64 MB: the rest is released.
      await waitFor(() => routed + released.length === perLink * devices.length, 30_000, 'every transfer to be held or released');
      expect(routedBytes).toBeLessThanOrEqual(CONNECTION_BYTE_BUDGET);
      expect(routedBytes).toBeGreaterThan(CONNECTION_BYTE_BUDGET - 2 * MAX_TRANSFER_BYTES);
      expect(released.length).toBeGreaterThan(0);
      expect(accepted.size).toBe(0);
      openGate();
      await waitFor(() => accepted.size === perLink * devices.length - released.length, 30_000, 'the held transfers to be accepted');
      // The sender sends what was released again (§3.4.4: not acted upon), and all of it is stored once.
      for (const { sender, mid } of released.splice(0)) mids.set(sender.send({ message_id: mid, body: rhea.message.data_section(Buffer.alloc(body, Number(mid.split('-')[0]))) }), mid);
      await waitFor(() => accepted.size === perLink * devices.length, 30_000, 'the sent-again transfers to be accepted');
      const storedMids = devices.flatMap((d) => stored(d).map((m) => m.systemProperties.mid));
      expect(storedMids).toHaveLength(perLink * devices.length);
      expect(new Set(storedMids).size).toBe(perLink * devices.length);
    } finally {
      openGate();
      connection.close();
    }
  });

  it('ends a connection whose message grows past the max-message-size it was told, before the hub buffers more of it', async () => {
    const connection = await rawSender('bytes3');
    const closed = new Promise<string | undefined>((resolve) => {
      connection.on('connection_error', (c: EventContext) => resolve((c.connection.error as { condition?: string } | undefined)?.condition));
      connection.on('disconnected', () => resolve('disconnected'));
    });
    routed = 0;
    const sender = connection.open_sender({ target: { address: '/devices/bytes3/messages/events' } });
    await new Promise((resolve) => sender.once('sendable', resolve));
    // rhea cuts it into frames of the hub's max-frame-size (64 KB): a delivery of many frames.
    sender.send({ message_id: 'huge', body: rhea.message.data_section(Buffer.alloc(4 * MAX_TRANSFER_BYTES, 1)) });
    expect(await closed).toBe('amqp:link:message-size-exceeded');
    expect(routed).toBe(0);
    expect(stored('bytes3')).toHaveLength(0);
    connection.close();
  });
});
