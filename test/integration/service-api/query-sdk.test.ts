import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStoreApi, type StoreApiFixture } from './store-api-fixture.js';
import { sdkRegistry } from '../../helpers/service-sdk.js';
import { rawRequest, serviceToken } from './raw-request.js';
import { ensurePythonSdk } from '../../helpers/python-sdk.js';
import { runPythonScript } from './python-sdk.js';

const post = (f: StoreApiFixture, body: unknown, headers: Record<string, string> = {}) =>
  rawRequest(f.port, f.ca, 'POST', '/devices/query?api-version=2021-04-12', {
    headers: { authorization: serviceToken(f.policyKey), 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('twin queries through the azure-iothub Registry', () => {
  let f: StoreApiFixture;
  let registry: ReturnType<typeof sdkRegistry>;

  beforeAll(async () => {
    f = await startStoreApi();
    registry = sdkRegistry(f.connectionString, f.port, f.ca);
    const fleet: [string, Record<string, unknown>, boolean][] = [
      ['edge-1', { env: 'prod', site: 'a' }, true],
      ['edge-2', { env: 'prod', site: 'b' }, true],
      ['edge-3', { env: 'prod', site: 'a' }, true],
      ['edge-4', { env: 'prod', site: 'b' }, true],
      ['edge-5', { env: 'prod', site: 'a' }, true],
      ['edge-6', { env: 'dev', site: 'a' }, true],
      ['leaf-1', {}, false],
    ];
    for (const [id, tags, edge] of fleet) {
      f.store.identities.createDevice(id, { edge });
      if (Object.keys(tags).length > 0) f.store.twins.update({ deviceId: id }, { tags });
    }
    f.store.twins.patchReported({ deviceId: 'edge-2', moduleId: '$edgeAgent' }, { lastDesiredStatus: { code: 200 } });
  });
  afterAll(async () => {
    await f?.close();
  });

  it('pages a query by tag with nextAsTwin, two twins a page, until hasMoreResults is false', async () => {
    const query = registry.createQuery("SELECT * FROM devices WHERE tags.env = 'prod'", 2);
    const pages: string[][] = [];
    while (query.hasMoreResults) {
      const { result } = await query.nextAsTwin();
      pages.push(result.map((twin) => twin.deviceId));
    }
    expect(pages).toEqual([['edge-1', 'edge-2'], ['edge-3', 'edge-4'], ['edge-5']]);
  });

  it('gives the SDK Twin objects it can update', async () => {
    const { result } = await registry.createQuery("SELECT * FROM devices WHERE deviceId = 'edge-6'").nextAsTwin();
    expect(result).toHaveLength(1);
    const twin = result[0]!;
    expect(twin.tags).toEqual({ env: 'dev', site: 'a' });
    await twin.update({ tags: { site: 'c' } });
    expect(f.store.twins.get({ deviceId: 'edge-6' })!.tags.site).toBe('c');
  });

  it('counts with COUNT() and groups with GROUP BY', async () => {
    const count = await registry.createQuery('SELECT COUNT() AS n FROM devices WHERE capabilities.iotEdge = true').next();
    expect(count.result).toEqual([{ n: 6 }]);
    const groups = await registry.createQuery("SELECT tags.site AS site, COUNT() AS n FROM devices WHERE tags.env = 'prod' GROUP BY tags.site").next();
    expect(groups.result).toEqual([
      { site: 'a', n: 3 },
      { site: 'b', n: 2 },
    ]);
  });

  it("finds module twins by moduleId, $edgeAgent's reported properties included", async () => {
    const { result } = await registry.createQuery("SELECT * FROM devices.modules WHERE moduleId = '$edgeAgent' AND properties.reported.lastDesiredStatus.code = 200").nextAsTwin();
    expect(result.map((t) => [t.deviceId, t.moduleId])).toEqual([['edge-2', '$edgeAgent']]);
    const all = await registry.createQuery("SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent'", 100).next();
    expect(all.result).toHaveLength(6);
  });

  it('answers x-ms-item-type and the continuation header on the wire', async () => {
    const res = await post(f, { query: 'SELECT * FROM devices' }, { 'x-ms-max-item-count': '3' });
    expect(res.status).toBe(200);
    expect(res.headers['x-ms-item-type']).toBe('twin');
    expect(res.headers['x-ms-continuation']).toBeTruthy();
    expect(res.json).toHaveLength(3);
    const raw = await post(f, { query: 'SELECT deviceId FROM devices' });
    expect(raw.headers['x-ms-item-type']).toBe('raw');
    expect(raw.headers['x-ms-continuation']).toBeUndefined();
  });

  it('refuses a malformed query with 400, IoT Hub error body and the position', async () => {
    await expect(registry.createQuery("SELECT * FROM devices WHERE tags.env = 'prod' AND").next()).rejects.toMatchObject({ name: 'ArgumentError' });
    const res = await post(f, { query: 'SELECT * FROM devices WHERE tags.env = = 1' });
    expect(res.status).toBe(400);
    const body = res.json as { Message: string; position: number; line: number; column: number };
    expect(body.Message).toMatch(/^ErrorCode:ArgumentInvalid;Syntax error in the query at line 1, column 40/);
    expect(body).toMatchObject({ position: 39, line: 1, column: 40 });
  });

  it('refuses a bad page size, a foreign continuation token and a body without a query', async () => {
    const bad = await post(f, { query: 'SELECT * FROM devices' }, { 'x-ms-max-item-count': '-1' });
    expect(bad.status).toBe(400);
    const first = await post(f, { query: 'SELECT * FROM devices' }, { 'x-ms-max-item-count': '1' });
    const foreign = await post(f, { query: 'SELECT deviceId FROM devices' }, { 'x-ms-continuation': String(first.headers['x-ms-continuation']) });
    expect(foreign.status).toBe(400);
    expect(foreign.text).toMatch(/another query/);
    const noQuery = await post(f, { sql: 'x' });
    expect(noQuery.status).toBe(400);
  });
});

describe('twin queries through the Python azure-iot-hub IoTHubRegistryManager', () => {
  let f: StoreApiFixture;

  beforeAll(async () => {
    await ensurePythonSdk();
    f = await startStoreApi();
    for (const [id, env] of [['py-1', 'prod'], ['py-2', 'prod'], ['py-3', 'prod'], ['py-4', 'dev']] as const) {
      f.store.identities.createDevice(id, { edge: true });
      f.store.twins.update({ deviceId: id }, { tags: { env } });
    }
  }, 600_000);
  afterAll(async () => {
    await f?.close();
  });

  type Pages = { pages?: { type: string; items: Record<string, unknown>[]; continuation: boolean }[]; error?: { status: number; text: string } };
  const query = (text: string, size: number) => runPythonScript('query_iot_hub.py', [text, String(size)], f) as Promise<Pages>;

  it('pages query_iot_hub by tag, two twins a page, with the item type and continuation token', async () => {
    const { pages } = await query("SELECT * FROM devices WHERE tags.env = 'prod'", 2);
    expect(pages!.map((p) => [p.type, p.items.map((t) => t.device_id), p.continuation])).toEqual([
      ['twin', ['py-1', 'py-2'], true],
      ['twin', ['py-3'], false],
    ]);
    expect(pages![0]!.items[0]).toMatchObject({ tags: { env: 'prod' }, capabilities: { iot_edge: true }, status: 'enabled' });
  });

  it("answers COUNT() and GROUP BY as raw items (the SDK reads every item as a Twin, so their members do not survive its model)", async () => {
    const count = await query('SELECT COUNT() AS n FROM devices', 10);
    expect(count.pages!.map((p) => [p.type, p.items.length])).toEqual([['raw', 1]]);
    const groups = await query('SELECT tags.env AS env, COUNT() AS n FROM devices GROUP BY tags.env', 10);
    expect(groups.pages!.map((p) => [p.type, p.items.length])).toEqual([['raw', 2]]);
  });

  it('finds module twins by moduleId', async () => {
    const { pages } = await query("SELECT * FROM devices.modules WHERE moduleId = '$edgeAgent'", 3);
    expect(pages!.flatMap((p) => p.items.map((t) => `${String(t.device_id)}/${String(t.module_id)}`))).toEqual(['py-1/$edgeAgent', 'py-2/$edgeAgent', 'py-3/$edgeAgent', 'py-4/$edgeAgent']);
  });

  it('gets a 400 with the position for a malformed query', async () => {
    const { error } = await query('SELECT * FROM devices WHERE', 10);
    expect(error!.status).toBe(400);
    expect(JSON.parse(error!.text)).toMatchObject({ position: 27, line: 1, column: 28 });
  });
});
