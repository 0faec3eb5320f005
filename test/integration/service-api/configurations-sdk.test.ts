import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startStoreApi, type StoreApiFixture } from './store-api-fixture.js';
import { sdkRegistry } from '../../helpers/service-sdk.js';
import { rawRequest, serviceToken } from './raw-request.js';
import { startAutomaticDeployments, type AutomaticDeployments } from '../../../runtime/service-api/index.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { runPythonScript } from './python-sdk.js';
import { ensurePythonSdk } from '../../helpers/python-sdk.js';
import { fileURLToPath } from 'node:url';

type Manifest = { modulesContent: Record<string, Record<string, unknown>> };
const example = (name: string) => JSON.parse(readFileSync(new URL(`../../../deployments/examples/${name}.deployment.json`, import.meta.url), 'utf8')) as Manifest;
const echoModule = { version: '1.0', type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'edgemu/echo:0.1.0', createOptions: '{}' } };
const siteLayer: Manifest = {
  modulesContent: {
    $edgeAgent: { 'properties.desired.modules.echo': echoModule },
    $edgeHub: { 'properties.desired.routes.echoUp': 'FROM /messages/modules/echo/outputs/* INTO $upstream' },
    echo: { 'properties.desired': { greeting: 'site a' } },
  },
};
const V = 'api-version=2021-04-12';

describe('configurations (automatic and layered deployments) through the azure-iothub Registry', () => {
  let f: StoreApiFixture;
  let registry: ReturnType<typeof sdkRegistry>;
  let automatic: AutomaticDeployments;

  const agentModules = (deviceId: string): string[] => {
    const desired = f.store.twins.get({ deviceId, moduleId: '$edgeAgent' })?.properties.desired as { modules?: Record<string, unknown> } | undefined;
    return Object.keys(desired?.modules ?? {}).sort();
  };
  const routes = (deviceId: string): string[] => Object.keys((f.store.twins.get({ deviceId, moduleId: '$edgeHub' })?.properties.desired as { routes?: object } | undefined)?.routes ?? {}).sort();
  const filterStatus = (deviceId: string) => (f.store.twins.get({ deviceId, moduleId: '$edgeAgent' })?.properties.desired as unknown as { modules: { filter: { status: string } } }).modules.filter.status;
  const systemMetrics = async (id: string) => ((await registry.getConfiguration(id)).responseBody as unknown as { systemMetrics: { results: Record<string, number> } }).systemMetrics.results;

  beforeAll(async () => {
    f = await startStoreApi();
    registry = sdkRegistry(f.connectionString, f.port, f.ca);
    automatic = startAutomaticDeployments({ store: f.store, logger: silentLogger() });
    for (const [id, tags] of [
      ['p1', { env: 'prod', site: 'a' }],
      ['p2', { env: 'prod', site: 'b' }],
      ['d1', { env: 'dev', site: 'b' }],
    ] as const) {
      f.store.identities.createDevice(id, { edge: true });
      f.store.twins.update({ deviceId: id }, { tags });
    }
    f.store.identities.createDevice('leaf', { edge: false });
    f.store.twins.update({ deviceId: 'leaf' }, { tags: { env: 'prod' } });
  });
  afterAll(async () => {
    automatic?.close();
    await f?.close();
  });

  it('creates a base deployment that reaches exactly the edge devices its target condition names', async () => {
    const { responseBody: created } = await registry.addConfiguration({
      id: 'prod-base',
      content: example('temperature-filter'),
      targetCondition: "tags.env='prod'",
      priority: 10,
      labels: { team: 'a' },
    } as never);
    // The request answers before the fleet is evaluated (docs/deployments.md "When devices get their deployment").
    await automatic.settled();
    expect(created).toMatchObject({ id: 'prod-base', priority: 10, targetCondition: "tags.env='prod'", schemaVersion: '1.0', labels: { team: 'a' } });
    expect(created.etag).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(agentModules('p1')).toEqual(['SimulatedTemperatureSensor', 'filter']);
    expect(agentModules('p2')).toEqual(['SimulatedTemperatureSensor', 'filter']);
    expect(agentModules('d1')).toEqual([]);
    expect(f.store.twins.get({ deviceId: 'leaf', moduleId: '$edgeAgent' })).toBeUndefined();
    expect(await systemMetrics('prod-base')).toEqual({ targetedCount: 2, appliedCount: 2, reportedSuccessfulCount: 0, reportedFailedCount: 0 });
  });

  it('gives another base deployment to the devices of another tag', async () => {
    await registry.addConfiguration({ id: 'dev-base', content: example('sample-modules'), targetCondition: "tags.env='dev'", priority: 10 } as never);
    await automatic.settled();
    expect(agentModules('d1')).toEqual(['echo', 'filter', 'sensor']);
    expect(agentModules('p1')).toEqual(['SimulatedTemperatureSensor', 'filter']);
    const { responseBody: list } = await registry.getConfigurations();
    expect(list.map((c) => c.id)).toEqual(['dev-base', 'prod-base']);
  });

  it('merges a layered deployment on top: a module, its twin and a route for tags.site=a only', async () => {
    await registry.addConfiguration({ id: 'site-a', content: siteLayer, targetCondition: "tags.site='a'", priority: 20 } as never);
    await automatic.settled();
    expect(agentModules('p1')).toEqual(['SimulatedTemperatureSensor', 'echo', 'filter']);
    expect(routes('p1')).toEqual(['echoUp', 'filterToIoTHub', 'sensorToFilter']);
    expect(f.store.twins.get({ deviceId: 'p1', moduleId: 'echo' })?.properties.desired).toMatchObject({ greeting: 'site a' });
    expect(agentModules('p2')).toEqual(['SimulatedTemperatureSensor', 'filter']);
    expect(await systemMetrics('site-a')).toMatchObject({ targetedCount: 1, appliedCount: 1 });
  });

  it('lets a higher-priority base deployment win where both target a device', async () => {
    await registry.addConfiguration({ id: 'prod-b', content: example('stopped-filter'), targetCondition: "tags.env='prod' AND tags.site='b'", priority: 50 } as never);
    await automatic.settled();
    expect(filterStatus('p2')).toBe('stopped');
    expect(await systemMetrics('prod-base')).toMatchObject({ targetedCount: 2, appliedCount: 1 });
    expect(await systemMetrics('prod-b')).toMatchObject({ targetedCount: 1, appliedCount: 1 });
    // The statuses are queryable as on IoT Hub.
    const query = registry.createQuery("SELECT deviceId FROM devices WHERE configurations.[[prod-base]].status = 'Targeted'");
    const { result } = await query.next();
    expect(result).toEqual([{ deviceId: 'p2' }]);
  });

  it("carries IoT Hub's configurations member on device twins read with Registry.getTwin: targeted and applied", async () => {
    const { responseBody: p2 } = await registry.getTwin('p2');
    expect((p2 as unknown as { configurations: unknown }).configurations).toEqual({ 'prod-base': { status: 'targeted' }, 'prod-b': { status: 'applied' } });
    const { responseBody: p1 } = await registry.getTwin('p1');
    expect((p1 as unknown as { configurations: unknown }).configurations).toEqual({ 'prod-base': { status: 'applied' }, 'site-a': { status: 'applied' } });
    const { responseBody: agent } = await registry.getModuleTwin('p1', '$edgeAgent');
    expect((agent as unknown as { configurations: unknown }).configurations).toEqual({ 'prod-base': { status: 'applied' }, 'site-a': { status: 'applied' } });
    // not on other module twins, nor on a device no deployment targets
    const { responseBody: hubTwin } = await registry.getModuleTwin('p1', '$edgeHub');
    expect(hubTwin).not.toHaveProperty('configurations');
    const { responseBody: leaf } = await registry.getTwin('leaf');
    expect(leaf).not.toHaveProperty('configurations');
    // the member is the hub's: echoed back in a twin update it is ignored, and the update works
    const { responseBody: updated } = await registry.updateTwin('p2', { ...(p2 as object), tags: { env: 'prod', site: 'b', extra: 1 } } as never, p2.etag);
    await automatic.settled();
    expect((updated as unknown as { tags: Record<string, unknown> }).tags.extra).toBe(1);
    expect((updated as unknown as { configurations: unknown }).configurations).toEqual({ 'prod-base': { status: 'targeted' }, 'prod-b': { status: 'applied' } });
  });

  it('re-targets a device when its tag changes through the SDK', async () => {
    const { responseBody: twin } = await registry.getTwin('p1');
    await registry.updateTwin('p1', { tags: { env: 'dev' } }, twin.etag);
    await automatic.settled();
    // dev-base now, with the site-a layer still on top (the device keeps tags.site='a').
    expect(agentModules('p1')).toEqual(['echo', 'filter', 'sensor']);
    expect(f.store.twins.get({ deviceId: 'p1', moduleId: 'echo' })?.properties.desired).toMatchObject({ greeting: 'site a' });
    expect(await systemMetrics('prod-base')).toMatchObject({ targetedCount: 1, appliedCount: 0 });
    expect(await systemMetrics('dev-base')).toMatchObject({ targetedCount: 2, appliedCount: 2 });
  });

  it("counts the agents' reports: successful when the current desired version is reported 200, failed otherwise", async () => {
    const report = (deviceId: string, code: number, current = true) => {
      const version = f.store.twins.get({ deviceId, moduleId: '$edgeAgent' })!.properties.desired.$version;
      f.store.twins.patchReported({ deviceId, moduleId: '$edgeAgent' }, { lastDesiredVersion: current ? version : version - 1, lastDesiredStatus: { code } });
    };
    report('p1', 200);
    await automatic.settled();
    report('d1', 400);
    await automatic.settled();
    expect(await systemMetrics('dev-base')).toEqual({ targetedCount: 2, appliedCount: 2, reportedSuccessfulCount: 1, reportedFailedCount: 1 });
    report('d1', 200, false);
    await automatic.settled();
    expect(await systemMetrics('dev-base')).toEqual({ targetedCount: 2, appliedCount: 2, reportedSuccessfulCount: 1, reportedFailedCount: 0 });
  });

  it('evaluates custom metric queries', async () => {
    await registry.addConfiguration({
      id: 'metrics',
      content: siteLayer,
      targetCondition: "tags.site='zzz'",
      priority: 1,
      metrics: { queries: { devOk: "SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent' AND properties.reported.lastDesiredStatus.code = 200", all: 'SELECT deviceId FROM devices' } },
    } as never);
    const { responseBody } = await registry.getConfiguration('metrics');
    expect((responseBody as unknown as { metrics: { results: Record<string, number> } }).metrics.results).toEqual({ devOk: 2, all: 4 });
  });

  it('updates the target condition and priority with the ETag; a stale ETag is 412 and changed content is refused', async () => {
    const { responseBody: current } = await registry.getConfiguration('prod-b');
    const { responseBody: updated } = await registry.updateConfiguration({ ...current, priority: 5 });
    await automatic.settled();
    expect(updated.priority).toBe(5);
    expect(updated.etag).not.toBe(current.etag);
    // prod-base (10) wins on p2 again.
    expect(filterStatus('p2')).toBe('running');
    await expect(registry.updateConfiguration({ ...current, priority: 7 })).rejects.toMatchObject({ name: 'InvalidEtagError' });
    await expect(registry.updateConfiguration({ ...updated, content: example('temperature-filter') } as never)).rejects.toMatchObject({ name: 'ArgumentError' });
    await expect(registry.addConfiguration({ id: 'prod-b', content: example('temperature-filter'), targetCondition: '*' } as never)).rejects.toMatchObject({ responseBody: expect.stringContaining('ConfigurationAlreadyExists') });
  });

  it('refuses a bad target condition, bad content and a bad id with 400 and stores nothing', async () => {
    await expect(registry.addConfiguration({ id: 'bad', content: example('temperature-filter'), targetCondition: "tags.env = 'prod' AND" } as never)).rejects.toMatchObject({ name: 'ArgumentError' });
    const broken = example('temperature-filter');
    delete (broken.modulesContent.$edgeAgent!['properties.desired'] as Record<string, unknown>).runtime;
    await expect(registry.addConfiguration({ id: 'bad', content: broken, targetCondition: '*' } as never)).rejects.toMatchObject({ name: 'ArgumentError' });
    await expect(registry.addConfiguration({ id: 'Upper Case', content: example('temperature-filter'), targetCondition: '*' } as never)).rejects.toMatchObject({ name: 'ArgumentError' });
    await expect(registry.getConfiguration('bad')).rejects.toMatchObject({ response: { statusCode: 404 }, responseBody: expect.stringContaining('ConfigurationNotFound') });
  });

  it("writes a merged deployment a layer made invalid, as IoT Hub does: the agent's refusal counts as reportedFailed", async () => {
    // Alone the layer is valid; merged, "Filter" collides with the base's "filter" after Kubernetes name sanitization.
    const clash: Manifest = { modulesContent: { $edgeAgent: { 'properties.desired.modules.Filter': echoModule } } };
    await registry.addConfiguration({ id: 'clash', content: clash, targetCondition: "tags.site='b'", priority: 30 } as never);
    await automatic.settled();
    expect(agentModules('p2')).toEqual(['Filter', 'SimulatedTemperatureSensor', 'filter']);
    expect(f.store.configurations.deviceState('p2')?.error).toMatchObject({ status: 400, base: 'prod-base', layers: ['clash'], message: expect.stringMatching(/Filter/) });
    // d1 (dev, site b) is targeted as well, but its base dev-base gets the same refusal.
    expect(await systemMetrics('clash')).toMatchObject({ targetedCount: 2, appliedCount: 2 });
    // What edgeAgent does with it (docs/agent.md): it validates the desired twin with the same rules and reports 400.
    const version = f.store.twins.get({ deviceId: 'p2', moduleId: '$edgeAgent' })!.properties.desired.$version;
    f.store.twins.patchReported({ deviceId: 'p2', moduleId: '$edgeAgent' }, { lastDesiredVersion: version, lastDesiredStatus: { code: 400 } });
    await automatic.settled();
    expect(await systemMetrics('clash')).toMatchObject({ reportedFailedCount: 1 });
    await registry.removeConfiguration('clash');
    await automatic.settled();
    expect(agentModules('p2')).toEqual(['SimulatedTemperatureSensor', 'filter']);
    expect(f.store.configurations.deviceState('p2')?.error).toBeUndefined();
  });

  it('answers testQueries with the problems of a target condition and metric queries', async () => {
    const headers = { authorization: serviceToken(f.policyKey), 'content-type': 'application/json' };
    const body = JSON.stringify({ targetCondition: "tags.env = 'prod' AND", customMetricQueries: { ok: 'SELECT deviceId FROM devices', bad: 'SELECT FROM' } });
    const r = await rawRequest(f.port, f.ca, 'POST', `/configurations/testQueries?${V}`, { headers, body });
    expect(r.status).toBe(200);
    const json = r.json as { targetConditionError: string; customMetricQueryErrors: Record<string, string> };
    expect(json.targetConditionError).not.toBe('');
    expect(json.customMetricQueryErrors.ok).toBe('');
    expect(json.customMetricQueryErrors.bad).not.toBe('');
  });

  it('keeps the last content on devices whose deployments are all deleted', async () => {
    for (const id of ['prod-base', 'prod-b', 'dev-base', 'site-a', 'metrics']) await registry.removeConfiguration(id);
    await automatic.settled();
    expect((await registry.getConfigurations()).responseBody).toEqual([]);
    expect(agentModules('p2')).toEqual(['SimulatedTemperatureSensor', 'filter']);
    expect(agentModules('p1')).toEqual(['echo', 'filter', 'sensor']);
    expect(f.store.configurations.deviceState('p1')?.statuses).toEqual({});
  });

  it("refuses the configuration after IoT Hub's 100 with 403 IotHubQuotaExceeded", async () => {
    for (let i = f.store.configurations.count(); i < 100; i++) f.store.configurations.put(`filler-${i}`, { targetCondition: '', priority: 0, content: siteLayer });
    // The SDK names every 403 TooManyDevicesError (rest_api_client.ts translateError).
    await expect(registry.addConfiguration({ id: 'one-too-many', content: siteLayer, targetCondition: '*' } as never)).rejects.toMatchObject({
      name: 'TooManyDevicesError',
      responseBody: expect.stringContaining('IotHubQuotaExceeded'),
    });
    expect(f.store.configurations.get('one-too-many')).toBeUndefined();
    for (const c of f.store.configurations.list()) if (c.id.startsWith('filler-')) f.store.configurations.delete(c.id);
  });

  it('serves the Python azure-iot-hub IoTHubConfigurationManager: create, get, list, update with the ETag, testQueries, delete', async () => {
    await ensurePythonSdk();
    const out = await runPythonScript('configurations.py', [fileURLToPath(new URL('../../../deployments/examples/temperature-filter.deployment.json', import.meta.url))], f);
    expect(out).toMatchObject({
      created: { id: 'py-prod', priority: 10 },
      got: { id: 'py-prod', labels: { by: 'python' }, modules: ['SimulatedTemperatureSensor', 'filter'] },
      listed: expect.arrayContaining(['py-prod']),
      updated: { priority: 20, etag_changed: true },
      stale: 412,
      tested: { custom: { ok: '' } },
    });
    expect((out as { tested: { target_condition_error: string } }).tested.target_condition_error).not.toBe('');
    expect((out as { after_delete: string[] }).after_delete).not.toContain('py-prod');
  }, 300_000);

  it('gives a device created later the deployment its tags match', async () => {
    await registry.addConfiguration({ id: 'all', content: example('temperature-filter'), targetCondition: '*', priority: 0 } as never);
    await automatic.settled();
    await registry.create({ deviceId: 'late', capabilities: { iotEdge: true } } as never);
    await automatic.settled();
    expect(agentModules('late')).toEqual(['SimulatedTemperatureSensor', 'filter']);
  });
});
