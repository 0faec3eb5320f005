import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import rhea, { type Connection, type EventContext } from 'rhea';
import { Message, type Client } from 'azure-iot-device';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { amqpDeviceClient } from '../../helpers/amqp.js';
import { cbsConnection } from '../../../bench/amqp-cbs.js';
import { createSasToken } from '../../../runtime/hub/sas.js';
import { INCOMING_WINDOW } from '../../../runtime/hub/amqp/incoming-credit.js';
import type { MessageRouter } from '../../../runtime/hub/message-router.js';

/** The default router (durable `$upstream`), with a gate: while closed, nothing routed is stored. */
let gateOpen = true;
let held: Array<() => void> = [];
let routed = 0;
const router: MessageRouter = {
  route(message) {
    routed++;
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

describe('AMQP telemetry flow control: credit follows what is durably stored', () => {
  it('grants no more than the link window while nothing is stored, settles nothing before it is stored, and takes the rest once the store goes on', async () => {
    const connection = await rawSender('credit1');
    try {
      const sender = connection.open_sender({ target: { address: '/devices/credit1/messages/events' } });
      await new Promise((resolve) => sender.once('sendable', resolve));
      gateOpen = false;
      routed = 0;
      const total = INCOMING_WINDOW + 500;
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
      await waitFor(() => routed === INCOMING_WINDOW, 10_000, 'the window to fill');
      // The hub holds a full window and has granted nothing more: the sender is out of credit.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(routed).toBe(INCOMING_WINDOW);
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
});
