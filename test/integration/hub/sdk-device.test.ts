import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, type Client, type Twin } from 'azure-iot-device';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';

let t: TestHub;
let client: Client;
let twin: Twin;

beforeAll(async () => {
  t = await startTestHub();
  client = await t.deviceClient('dev1');
  twin = await client.getTwin();
});
afterAll(async () => {
  await t?.close();
});

describe('a device using the unmodified azure-iot-device SDK over MQTT/TLS', () => {
  it('reads its twin with $version', () => {
    expect(twin.properties.desired.$version).toBe(1);
    expect(twin.properties.reported.$version).toBe(1);
  });

  it('updates reported properties, which the hub stores with a new $version', async () => {
    await new Promise<void>((resolve, reject) => twin.properties.reported.update({ status: 'ok', nested: { a: 1 } }, (e?: Error) => (e ? reject(e) : resolve())));
    const stored = t.hub.store.twins.get({ deviceId: 'dev1' })!;
    expect(stored.properties.reported).toMatchObject({ status: 'ok', nested: { a: 1 }, $version: 2 });
  });

  it('gets an error for a reported patch that breaks IoT Hub rules, and the connection keeps working', async () => {
    const error = await new Promise<Error | undefined>((resolve) => twin.properties.reported.update({ 'bad.key': 1 }, (e?: Error) => resolve(e)));
    expect(error?.message).toContain("cannot contain '.'");
    await new Promise<void>((resolve, reject) => twin.properties.reported.update({ after: true }, (e?: Error) => (e ? reject(e) : resolve())));
    expect(t.hub.store.twins.get({ deviceId: 'dev1' })!.properties.reported.after).toBe(true);
  });

  it('receives desired property patches with their $version', async () => {
    const received = new Promise<Record<string, unknown>>((resolve) => {
      twin.on('properties.desired', (delta: Record<string, unknown>) => {
        if (delta.$version === 2) resolve(delta);
      });
    });
    // let the SDK subscribe to the desired topic first
    await waitFor(() => t.hub.store.sessions.filters('dev1').has('$iothub/twin/PATCH/properties/desired/#'));
    t.hub.store.twins.patchDesired({ deviceId: 'dev1' }, { interval: 5 });
    expect(await received).toMatchObject({ interval: 5, $version: 2 });
  });

  it('answers a direct method; 404 when not connected, 504 when unanswered', async () => {
    client.onDeviceMethod('reboot', (request, response) => {
      void response.send(200, { rebooted: true, delay: (request.payload as { delay: number }).delay });
    });
    await waitFor(() => t.hub.store.sessions.filters('dev1').has('$iothub/methods/POST/#'));
    expect(await t.hub.invokeMethod({ deviceId: 'dev1', methodName: 'reboot', payload: { delay: 5 }, timeoutMs: 5000 })).toEqual({ status: 200, payload: { rebooted: true, delay: 5 } });
    expect((await t.hub.invokeMethod({ deviceId: 'dev1', methodName: 'unknown', timeoutMs: 300 })).status).toBe(504);
    expect((await t.hub.invokeMethod({ deviceId: 'dev1', methodName: 'reboot', payload: 'x'.repeat(130 * 1024) })).status).toBe(400);
    expect((await t.hub.invokeMethod({ deviceId: 'dev1', methodName: 'a/b' })).status).toBe(400);
    t.createDevice('offline');
    expect((await t.hub.invokeMethod({ deviceId: 'offline', methodName: 'reboot' })).status).toBe(404);
  });

  it('sends telemetry with system and application properties, stored before the ack', async () => {
    const msg = new Message(JSON.stringify({ temperature: 21 }));
    msg.messageId = 'mid-1';
    msg.correlationId = 'corr-1';
    msg.contentType = 'application/json';
    msg.contentEncoding = 'utf-8';
    msg.properties.add('alert', 'high temp');
    msg.properties.add('k/2', 'v&=3');
    await client.sendEvent(msg);
    const stored = t.hub.messages.read({ deviceId: 'dev1' }).at(-1)!;
    expect(stored).toMatchObject({
      deviceId: 'dev1',
      endpoint: '$upstream',
      systemProperties: { mid: 'mid-1', cid: 'corr-1', ct: 'application/json', ce: 'utf-8' },
      properties: { alert: 'high temp', 'k/2': 'v&=3' },
    });
    expect(JSON.parse(stored.body.toString())).toEqual({ temperature: 21 });
  });

  it('receives a cloud-to-device message queued while it was not listening', async () => {
    t.hub.sendC2d('dev1', { body: 'hello c2d', messageId: 'c2d-1', correlationId: 'corr-9', properties: { foo: 'bar' } });
    const received = await new Promise<Message>((resolve) => client.on('message', (m: Message) => resolve(m)));
    expect(received.data.toString()).toBe('hello c2d');
    expect(received.messageId).toBe('c2d-1');
    expect(received.correlationId).toBe('corr-9');
    expect(received.properties.getValue('foo')).toBe('bar');
    await waitFor(() => t.hub.store.c2d.pending('dev1').length === 0);
  });
});
