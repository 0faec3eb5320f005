import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import rhea, { type Connection, type EventContext, type Receiver } from 'rhea';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { cbsConnection, eventHubsToken } from '../../../bench/amqp-cbs.js';
import { partitionOf } from '../../../runtime/hub/amqp/event-position.js';

let t: TestHub;
let connection: Connection;
const DEVICE = 'eh-credit';
const EVENTS = 50;

beforeAll(async () => {
  t = await startTestHub({ amqpsPort: 0 });
  const now = new Date().toISOString();
  t.hub.messages.appendMany(Array.from({ length: EVENTS }, (_, i) => ({ endpoint: '$upstream', message: { deviceId: DEVICE, body: Buffer.from(`e${i}`), systemProperties: { mid: `e${i}` }, properties: { i: String(i) }, enqueuedTimeUtc: now } })));
  const { audience, token } = eventHubsToken(t.hub.store.identities.servicePolicy(), t.hub.eventHubName, Math.floor(Date.now() / 1000) + 3600);
  connection = await cbsConnection({ port: t.hub.amqpsPort!, ca: t.hub.caCert, audience, token });
});
afterAll(async () => {
  connection?.close();
  await t?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A partition receiver from the earliest event that grants credit only by hand. */
function receiver(options: { snd_settle_mode?: 0 | 1 | 2 } = {}): { link: Receiver; got: Array<{ body: string; settled: boolean; seq: number }> } {
  const got: Array<{ body: string; settled: boolean; seq: number }> = [];
  const link = connection.open_receiver({
    source: { address: `${t.hub.eventHubName}/ConsumerGroups/$Default/Partitions/${partitionOf(DEVICE, 4)}`, filter: { 'apache.org:selector-filter:string': rhea.types.wrap_described("amqp.annotation.x-opt-offset > '-1'", 0x468c00000004) } },
    credit_window: 0,
    ...options,
  });
  link.on('message', (c: EventContext) => {
    const body = c.message!.body as { content: Buffer };
    got.push({ body: body.content.toString(), settled: c.delivery!.remote_settled, seq: Number(c.message!.message_annotations!['x-opt-sequence-number']) });
  });
  return { link, got };
}

describe('an Event Hubs partition receiver and its credit', () => {
  it('gets exactly as many events as it granted credit for, in order, pre-settled when its settle mode is mixed', async () => {
    const { link, got } = receiver();
    await new Promise((resolve) => link.once('receiver_open', resolve));
    link.add_credit(10);
    await waitFor(() => got.length === 10, 5000, '10 events');
    await sleep(300);
    expect(got).toHaveLength(10);
    link.add_credit(25);
    await waitFor(() => got.length === 35, 5000, '35 events');
    await sleep(300);
    expect(got).toHaveLength(35);
    link.add_credit(1000);
    await waitFor(() => got.length === EVENTS, 5000, 'every event');
    expect(got.map((e) => e.body)).toEqual(Array.from({ length: EVENTS }, (_, i) => `e${i}`));
    expect(got.map((e) => e.seq)).toEqual([...got.map((e) => e.seq)].sort((a, b) => a - b));
    expect(got.every((e) => e.settled)).toBe(true);
    link.close();
  });

  it('sends unsettled transfers to a receiver that asked for them (snd-settle-mode unsettled)', async () => {
    const { link, got } = receiver({ snd_settle_mode: 0 });
    await new Promise((resolve) => link.once('receiver_open', resolve));
    link.add_credit(5);
    await waitFor(() => got.length === 5, 5000, '5 events');
    expect(got.every((e) => !e.settled)).toBe(true);
    link.close();
  });
});
