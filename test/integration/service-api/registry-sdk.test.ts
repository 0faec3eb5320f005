import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startStoreApi, type StoreApiFixture } from './store-api-fixture.js';
import { sdkRegistry } from '../../helpers/service-sdk.js';

const manifest = JSON.parse(readFileSync(new URL('../../../deployments/examples/temperature-filter.deployment.json', import.meta.url), 'utf8')) as {
  modulesContent: Record<string, { 'properties.desired': Record<string, unknown> }>;
};

describe('the azure-iothub Registry against the service API', () => {
  let f: StoreApiFixture;
  let registry: ReturnType<typeof sdkRegistry>;

  beforeAll(async () => {
    f = await startStoreApi();
    registry = sdkRegistry(f.connectionString, f.port, f.ca);
    f.store.identities.createDevice('dev1');
    f.store.identities.createModule('dev1', 'modA');
    f.store.identities.createDevice('gw1', { edge: true });
  });
  afterAll(async () => {
    await f?.close();
  });

  it('reads a device twin with the fields the SDK Twin needs', async () => {
    const { responseBody: twin } = await registry.getTwin('dev1');
    expect(twin.deviceId).toBe('dev1');
    expect(twin.etag).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(twin.properties.desired.$version).toBe(1);
    expect(twin.properties.reported.$version).toBe(1);
  });

  it('patches desired properties and tags with If-Match "*", then with the current ETag', async () => {
    const first = await registry.updateTwin('dev1', { tags: { site: 'lab' }, properties: { desired: { telemetryInterval: 5 } } }, '*');
    expect(first.responseBody.properties.desired).toMatchObject({ telemetryInterval: 5, $version: 2 });
    expect(first.responseBody.tags).toEqual({ site: 'lab' });
    const second = await registry.updateTwin('dev1', { properties: { desired: { telemetryInterval: null, mode: 'fast' } } }, first.responseBody.etag);
    expect(second.responseBody.properties.desired).toMatchObject({ mode: 'fast', $version: 3 });
    expect(second.responseBody.properties.desired).not.toHaveProperty('telemetryInterval');
    expect(f.store.twins.get({ deviceId: 'dev1' })!.properties.desired.mode).toBe('fast');
  });

  it('refuses a stale ETag with InvalidEtagError (412) and changes nothing', async () => {
    const { responseBody: before } = await registry.getTwin('dev1');
    await expect(registry.updateTwin('dev1', { properties: { desired: { mode: 'slow' } } }, 'AAAAAAAAAAE=')).rejects.toMatchObject({
      name: 'InvalidEtagError',
    });
    const { responseBody: after } = await registry.getTwin('dev1');
    expect(after.etag).toBe(before.etag);
    expect(after.properties.desired.mode).toBe('fast');
  });

  it('updates through Twin#update, which sends the twin ETag', async () => {
    const { responseBody: twin } = await registry.getTwin('dev1');
    const etagBefore = twin.etag;
    await twin.update({ properties: { desired: { viaTwin: true } } });
    // Twin#update copies the answer's properties and ETag into the twin itself.
    expect(twin.properties.desired.viaTwin).toBe(true);
    expect(twin.etag).not.toBe(etagBefore);
  });

  it('reads and patches a module twin', async () => {
    const { responseBody: twin } = await registry.getModuleTwin('dev1', 'modA');
    expect(twin).toMatchObject({ deviceId: 'dev1', moduleId: 'modA' });
    const { responseBody: patched } = await registry.updateModuleTwin('dev1', 'modA', { properties: { desired: { bar: 1 } } }, twin.etag);
    expect(patched.properties.desired).toMatchObject({ bar: 1, $version: 2 });
    await expect(registry.updateModuleTwin('dev1', 'modA', { properties: { desired: { bar: 2 } } }, twin.etag)).rejects.toMatchObject({ name: 'InvalidEtagError' });
  });

  it('refuses the SDK with UnauthorizedError when its key is wrong, and writes nothing', async () => {
    const wrong = f.connectionString.replace(/SharedAccessKey=.*/, `SharedAccessKey=${Buffer.alloc(32, 5).toString('base64')}`);
    const intruder = sdkRegistry(wrong, f.port, f.ca);
    await expect(intruder.getTwin('dev1')).rejects.toMatchObject({ name: 'UnauthorizedError' });
    await expect(intruder.updateTwin('dev1', { properties: { desired: { intruder: true } } }, '*')).rejects.toMatchObject({ name: 'UnauthorizedError' });
    expect(f.store.twins.get({ deviceId: 'dev1' })!.properties.desired).not.toHaveProperty('intruder');
  });

  it('answers an unknown device with DeviceNotFoundError', async () => {
    await expect(registry.getTwin('nope')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
    await expect(registry.updateTwin('nope', { properties: { desired: { a: 1 } } }, '*')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });

  it('applies a manifest: every module twin desired section replaced, module identities created', async () => {
    const result = await registry.applyConfigurationContentOnDevice('gw1', { modulesContent: manifest.modulesContent });
    expect(result.httpResponse.statusCode).toBe(204);
    for (const [moduleId, content] of Object.entries(manifest.modulesContent)) {
      const twin = f.store.twins.get({ deviceId: 'gw1', moduleId })!;
      const { $metadata: _m, $version: _v, ...desired } = twin.properties.desired;
      expect(desired).toEqual(content['properties.desired']);
      expect(f.store.identities.get({ deviceId: 'gw1', moduleId })).toBeDefined();
    }
  });

  it('replaces (not merges) the desired sections on a second apply', async () => {
    const agent = structuredClone(manifest.modulesContent.$edgeAgent!['properties.desired']) as { modules: Record<string, unknown> };
    const names = Object.keys(agent.modules);
    delete agent.modules[names[0]!];
    const content = { modulesContent: { ...manifest.modulesContent, $edgeAgent: { 'properties.desired': agent } } };
    await registry.applyConfigurationContentOnDevice('gw1', content);
    const twin = f.store.twins.get({ deviceId: 'gw1', moduleId: '$edgeAgent' })!;
    expect(Object.keys(twin.properties.desired.modules as object)).toEqual(names.slice(1));
  });

  it('refuses an invalid manifest with ArgumentError listing every problem, and writes nothing', async () => {
    const before = f.store.twins.get({ deviceId: 'gw1', moduleId: '$edgeAgent' })!;
    const broken = structuredClone(manifest.modulesContent) as Record<string, { 'properties.desired': Record<string, unknown> }>;
    const agent = broken.$edgeAgent!['properties.desired'] as { modules: Record<string, { settings: { image: unknown } }>; runtime: { type: unknown } };
    const first = Object.keys(agent.modules)[0]!;
    agent.modules[first]!.settings.image = 42;
    agent.runtime.type = 'rkt';
    await expect(registry.applyConfigurationContentOnDevice('gw1', { modulesContent: broken })).rejects.toMatchObject({ name: 'ArgumentError' });
    const after = f.store.twins.get({ deviceId: 'gw1', moduleId: '$edgeAgent' })!;
    expect(after.etag).toBe(before.etag);
    expect(after.properties.desired).toEqual(before.properties.desired);
  });

  it('applies nothing to a device that does not exist', async () => {
    await expect(registry.applyConfigurationContentOnDevice('ghost', { modulesContent: manifest.modulesContent })).rejects.toMatchObject({
      name: 'DeviceNotFoundError',
    });
  });

  it('creates, lists, reads and deletes device and module identities', async () => {
    const created = await registry.create({ deviceId: 'made-by-sdk' });
    expect(created.responseBody.authentication?.symmetricKey?.primaryKey).toBeTruthy();
    await expect(registry.create({ deviceId: 'made-by-sdk' })).rejects.toMatchObject({ name: 'DeviceAlreadyExistsError' });
    const updated = await registry.update({ deviceId: 'made-by-sdk', status: 'enabled' });
    expect(updated.responseBody.authentication?.symmetricKey?.primaryKey).toBe(created.responseBody.authentication?.symmetricKey?.primaryKey);
    await expect(registry.update({ deviceId: 'made-by-sdk', status: 'disabled' })).rejects.toMatchObject({ name: 'ArgumentError' });
    await registry.addModule({ deviceId: 'made-by-sdk', moduleId: 'm1' } as never);
    const { responseBody: modules } = await registry.getModulesOnDevice('made-by-sdk');
    expect(modules.map((m) => m.moduleId)).toEqual(['m1']);
    const { responseBody: devices } = await registry.list();
    expect(devices.map((d) => d.deviceId)).toContain('made-by-sdk');
    await registry.removeModule('made-by-sdk', 'm1');
    await registry.delete('made-by-sdk');
    await expect(registry.get('made-by-sdk')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });
});
