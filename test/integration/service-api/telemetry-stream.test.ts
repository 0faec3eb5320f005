import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { startStoreApi, type StoreApiFixture } from './store-api-fixture.js';
import { serviceToken } from './raw-request.js';
import { ServiceClient } from '../../../runtime/service-api/service-client.js';
import type { TelemetryJson } from '../../../runtime/service-api/telemetry-json.js';
import type { HubMessage } from '../../../runtime/hub/index.js';

const message = (deviceId: string, body: string, properties: Record<string, string> = {}): { endpoint: string; message: HubMessage } => ({
  endpoint: '$upstream',
  message: { deviceId, body: Buffer.from(body), systemProperties: { mid: body }, properties, enqueuedTimeUtc: new Date().toISOString() },
});

async function until(predicate: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the telemetry stream (server-sent events)', () => {
  let f: StoreApiFixture;
  let client: ServiceClient;

  beforeAll(async () => {
    f = await startStoreApi();
    const policy = f.store.identities.servicePolicy();
    client = new ServiceClient({ port: f.port, ca: f.ca, hostName: 'localhost', policyName: policy.name, policyKey: policy.primaryKey });
  });
  afterAll(async () => {
    client?.close();
    await f?.close();
  });

  it('streams new messages of the filtered device with their properties, in order', async () => {
    f.store.messages.appendMany([message('dev1', 'before-subscribe')]);
    const got: TelemetryJson[] = [];
    const stop = new AbortController();
    const done = client.streamEvents({ deviceId: 'dev1' }, (e) => got.push(e), stop.signal);
    // The stream is open once the server has subscribed; keep appending until the first arrives.
    await until(() => {
      if (got.length === 0) f.store.messages.appendMany([message('dev1', 'probe')]);
      return got.length > 0;
    });
    f.store.messages.appendMany([message('other', 'not-mine'), message('dev1', 'one', { k: 'v' }), message('dev1', 'two')]);
    await until(() => got.some((e) => e.body === 'two'));
    stop.abort();
    await done;
    const bodies = got.map((e) => e.body).filter((b) => b !== 'probe');
    expect(bodies).toEqual(['one', 'two']);
    expect(got.find((e) => e.body === 'one')).toMatchObject({ deviceId: 'dev1', properties: { k: 'v' }, systemProperties: { mid: 'one' }, endpoint: '$upstream' });
    expect(got.every((e, i) => i === 0 || e.seq > got[i - 1]!.seq)).toBe(true);
  });

  it('replays what was missed after Last-Event-ID, then continues live', async () => {
    const [first] = f.store.messages.appendMany([message('dev2', 'a')]);
    f.store.messages.appendMany([message('dev2', 'b'), message('dev2', 'c')]);
    const text = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          servername: 'localhost',
          port: f.port,
          path: '/messages/events/stream?api-version=2021-04-12&deviceId=dev2',
          ca: f.ca,
          headers: { authorization: serviceToken(f.policyKey), 'last-event-id': String(first!.seq) },
        },
        (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            buf += c;
            if (buf.includes('"body":"c"')) {
              req.destroy();
              resolve(buf);
            }
          });
        },
      );
      req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
      req.end();
    });
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([first!.seq + 1, first!.seq + 2]);
    expect(text).toContain('event: message');
  });

  it('replays more missed messages than one page (1000) without a gap', async () => {
    const stored = f.store.messages.appendMany(Array.from({ length: 2500 }, (_, i) => message('dev3', `m${i}`)));
    const got: TelemetryJson[] = [];
    const stop = new AbortController();
    const policy = f.store.identities.servicePolicy();
    const c = new ServiceClient({ port: f.port, ca: f.ca, hostName: 'localhost', policyName: policy.name, policyKey: policy.primaryKey });
    // Resume as a reader whose last event was the one before the batch.
    const resumed = (c as unknown as { streamOnce: (...a: unknown[]) => Promise<void> }).streamOnce.call(
      c,
      { deviceId: 'dev3' },
      String(stored[0]!.seq - 1),
      stop.signal,
      (e: TelemetryJson) => {
        got.push(e);
        if (got.length === 2500) stop.abort();
      },
      () => undefined,
    );
    await resumed;
    c.close();
    expect(got.map((e) => e.body)).toEqual(stored.map((m) => m.body.toString()));
  });

  it('refuses a stream past the limit with 503 and accepts one again after a stream closes', async () => {
    const small = await startStoreApi({ maxStreams: 1 });
    const policy = small.store.identities.servicePolicy();
    const c = new ServiceClient({ port: small.port, ca: small.ca, hostName: 'localhost', policyName: policy.name, policyKey: policy.primaryKey });
    try {
      const first = new AbortController();
      const got: string[] = [];
      const running = c.streamEvents({}, (e) => got.push(e.body), first.signal);
      await until(() => {
        if (got.length === 0) small.store.messages.appendMany([message('d', 'probe')]);
        return got.length > 0;
      });
      await expect(c.streamEvents({}, () => undefined, new AbortController().signal, { maxRetries: 0 })).rejects.toMatchObject({ status: 503, errorCode: 'ServiceUnavailable' });
      first.abort();
      await running;
      const second = new AbortController();
      const got2: string[] = [];
      const again = c.streamEvents({}, (e) => got2.push(e.body), second.signal, { retryDelayMs: 20 });
      await until(() => {
        if (got2.length === 0) small.store.messages.appendMany([message('d', 'probe2')]);
        return got2.length > 0;
      });
      second.abort();
      await again;
    } finally {
      c.close();
      await small.close();
    }
  });

  it('ends open streams when the service API closes', async () => {
    const other = await startStoreApi();
    const policy = other.store.identities.servicePolicy();
    const c = new ServiceClient({ port: other.port, ca: other.ca, hostName: 'localhost', policyName: policy.name, policyKey: policy.primaryKey });
    const stop = new AbortController();
    let reconnects = 0;
    const done = c.streamEvents({}, () => undefined, stop.signal, { maxRetries: 1, retryDelayMs: 10, onReconnect: () => reconnects++ });
    await new Promise((r) => setTimeout(r, 100));
    await other.close();
    await expect(done).rejects.toThrow(/cannot reach the hub|closed the telemetry stream/);
    expect(reconnects).toBe(1);
    c.close();
  });
});
