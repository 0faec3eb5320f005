import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, type Client, type Twin } from 'azure-iot-device';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { amqpDeviceClient } from '../../helpers/amqp.js';
import { ConnectionTable } from '../../../runtime/hub/connection-table.js';
import { systemClock } from '../../../runtime/clock.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';

let t: TestHub;
const connections = new ConnectionTable({ clock: systemClock, logger: silentLogger() });
let client: Client;
/** One 'message' listener for the whole file (removing the last one makes the SDK detach its C2D link). */
let onMessage: (m: Message) => void = () => {};

beforeAll(async () => {
  t = await startTestHub({ amqpsPort: 0, connections });
  client = await amqpDeviceClient(t, 'dev1');
  await client.open();
  client.on('message', (m: Message) => onMessage(m));
});
afterAll(async () => {
  await client?.close();
  await t?.close();
});

describe('a device using the unmodified azure-iot-device-amqp transport', () => {
  it('connects with its SAS token through CBS and shows as connected', () => {
    expect(t.hub.isConnected({ deviceId: 'dev1' })).toBe(true);
  });

  it('sends telemetry with system and application properties, stored like MQTT telemetry', async () => {
    const msg = new Message(JSON.stringify({ temperature: 21 }));
    msg.messageId = 'mid-1';
    msg.correlationId = 'corr-1';
    msg.contentType = 'application/json';
    msg.contentEncoding = 'utf-8';
    msg.properties.add('alert', 'high temp');
    await client.sendEvent(msg);
    const stored = t.hub.messages.read({ deviceId: 'dev1' }).at(-1)!;
    expect(stored).toMatchObject({
      deviceId: 'dev1',
      endpoint: '$upstream',
      systemProperties: { mid: 'mid-1', cid: 'corr-1', ct: 'application/json', ce: 'utf-8' },
      properties: { alert: 'high temp' },
    });
    expect(JSON.parse(stored.body.toString())).toEqual({ temperature: 21 });
  });

  it('receives a cloud-to-device message and completes it, which removes it from the queue', async () => {
    const received = new Promise<Message>((resolve) => (onMessage = resolve));
    t.hub.sendC2d('dev1', { body: 'hello c2d', messageId: 'c2d-1', correlationId: 'corr-9', properties: { foo: 'bar' } });
    const m = await received;
    expect(m.data.toString()).toBe('hello c2d');
    expect(m.messageId).toBe('c2d-1');
    expect(m.correlationId).toBe('corr-9');
    expect(m.properties.getValue('foo')).toBe('bar');
    expect(t.hub.store.c2d.pending('dev1')).toHaveLength(1);
    await client.complete(m);
    await waitFor(() => t.hub.store.c2d.pending('dev1').length === 0);
  });

  it('abandons a message, gets it again with a higher delivery count, then rejects it, which dead-letters it', async () => {
    const seen: Message[] = [];
    const settled: Array<Promise<unknown>> = [];
    onMessage = (m) => {
      seen.push(m);
      settled.push(seen.length === 1 ? client.abandon(m) : client.reject(m));
    };
    t.hub.sendC2d('dev1', { body: 'twice' });
    await waitFor(() => seen.length === 2 && t.hub.store.c2d.pending('dev1').length === 0);
    await Promise.all(settled);
    expect(seen.map((m) => m.data.toString())).toEqual(['twice', 'twice']);
    const deliveryCount = (m: Message) => (m.transportObj as { delivery_count?: number }).delivery_count ?? 0;
    expect(deliveryCount(seen[1]!)).toBe(deliveryCount(seen[0]!) + 1);
  });

  it('reads its twin, updates reported properties and receives desired patches', async () => {
    const twin: Twin = await client.getTwin();
    expect(twin.properties.desired.$version).toBe(1);
    await new Promise<void>((resolve, reject) => twin.properties.reported.update({ status: 'ok' }, (e?: Error) => (e ? reject(e) : resolve())));
    expect(t.hub.store.twins.get({ deviceId: 'dev1' })!.properties.reported).toMatchObject({ status: 'ok', $version: 2 });
    const error = await new Promise<Error | undefined>((resolve) => twin.properties.reported.update({ 'bad.key': 1 }, (e?: Error) => resolve(e)));
    expect(error).toBeInstanceOf(Error);
    const patched = new Promise<Record<string, unknown>>((resolve) => {
      twin.on('properties.desired', (delta: Record<string, unknown>) => {
        if (delta.$version === 2) resolve(delta);
      });
    });
    // the SDK enables desired notifications (twin PUT) right after getTwin
    await waitFor(() => connections.get('dev1')?.listens('desired') === true);
    t.hub.store.twins.patchDesired({ deviceId: 'dev1' }, { interval: 5 });
    expect(await patched).toMatchObject({ interval: 5, $version: 2 });
  });

  it('answers a direct method invoked through the hub', async () => {
    client.onDeviceMethod('reboot', (request, response) => {
      void response.send(200, { rebooted: true, delay: (request.payload as { delay: number }).delay });
    });
    let result = await t.hub.invokeMethod({ deviceId: 'dev1', methodName: 'reboot', payload: { delay: 5 }, timeoutMs: 5000 });
    for (let i = 0; i < 50 && result.status === 404; i++) {
      await new Promise((r) => setTimeout(r, 50));
      result = await t.hub.invokeMethod({ deviceId: 'dev1', methodName: 'reboot', payload: { delay: 5 }, timeoutMs: 5000 });
    }
    expect(result).toEqual({ status: 200, payload: { rebooted: true, delay: 5 } });
  });

  it('is refused with UnauthorizedError for a wrong key, and the hub keeps serving the others', async () => {
    t.createDevice('dev2');
    const wrong = await amqpDeviceClient(t, 'dev2', Buffer.alloc(32, 7).toString('base64'));
    const error = await wrong.open().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.constructor.name).toBe('UnauthorizedError');
    expect(t.hub.isConnected({ deviceId: 'dev2' })).toBe(false);
    await client.sendEvent(new Message('still here'));
    expect(t.hub.messages.read({ deviceId: 'dev1' }).at(-1)!.body.toString()).toBe('still here');
  });
});
