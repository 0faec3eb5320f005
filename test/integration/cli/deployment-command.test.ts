import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../../runtime/cli/main.js';
import { startServer, type Server } from '../../../runtime/server/start-server.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';

const example = (name: string) => fileURLToPath(new URL(`../../../deployments/examples/${name}.deployment.json`, import.meta.url));
const echoModule = { version: '1.0', type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'edgemu/echo:0.1.0', createOptions: '{}' } };

describe('edgemu deployment create|list|show|update|delete against the running hub', () => {
  let dir: string;
  let stateDir: string;
  let server: Server | undefined;
  let layerFile: string;
  let metricsFile: string;

  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(['--state-dir', stateDir, '--log-level', 'silent', ...args], {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
      shutdownSignal: new AbortController().signal,
    });
    return { code, out, err };
  };
  const agentModules = (deviceId: string) =>
    Object.keys((server!.store.twins.get({ deviceId, moduleId: '$edgeAgent' })?.properties.desired as unknown as { modules?: object } | undefined)?.modules ?? {}).sort();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgemu-deployment-cli-'));
    stateDir = path.join(dir, 'state');
    layerFile = path.join(dir, 'layer.json');
    writeFileSync(layerFile, JSON.stringify({ content: { modulesContent: { $edgeAgent: { 'properties.desired.modules.echo': echoModule } } } }));
    metricsFile = path.join(dir, 'metrics.json');
    writeFileSync(metricsFile, JSON.stringify({ queries: { prod: "SELECT deviceId FROM devices WHERE tags.env = 'prod'" } }));
    server = await startServer({ stateDir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() });
    for (const [id, env] of [['gw-1', 'prod'], ['gw-2', 'prod'], ['gw-3', 'dev']] as const) {
      server.store.identities.createDevice(id, { edge: true });
      server.store.twins.update({ deviceId: id }, { tags: { env } });
    }
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a base deployment that reaches the devices of the target condition', async () => {
    const r = await cli('deployment', 'create', 'prod', '--content', example('temperature-filter'), '--target-condition', "tags.env='prod'", '--priority', '10', '--metrics', metricsFile);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^created deployment prod\n/);
    expect(r.out).toMatch(/modules\s+SimulatedTemperatureSensor, filter/);
    await server!.deployments.settled();
    expect(agentModules('gw-1')).toEqual(['SimulatedTemperatureSensor', 'filter']);
    expect(agentModules('gw-3')).toEqual([]);
  });

  it('refuses layer content without --layered and a whole deployment with it, exit 1, nothing created', async () => {
    const a = await cli('deployment', 'create', 'l', '--content', layerFile, '--target-condition', '*');
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/add --layered/);
    const b = await cli('deployment', 'create', 'l', '--content', example('temperature-filter'), '--target-condition', '*', '--layered');
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/--layered was given/);
    const bad = await cli('deployment', 'create', 'l', '--content', layerFile, '--target-condition', "tags.env = 'prod' AND", '--layered');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/targetCondition is invalid/);
    expect(server!.store.configurations.get('l')).toBeUndefined();
  });

  it('adds a layer with --layered and lists both with their metrics', async () => {
    expect((await cli('deployment', 'create', 'echo-layer', '--content', layerFile, '--target-condition', "tags.env='prod'", '--priority', '20', '--layered')).code).toBe(0);
    await server!.deployments.settled();
    expect(agentModules('gw-2')).toEqual(['SimulatedTemperatureSensor', 'echo', 'filter']);
    const list = await cli('deployment', 'list');
    expect(list.out.split('\n')[0]).toMatch(/^ID\s+KIND\s+PRIORITY\s+TARGETED\s+APPLIED\s+SUCCESS\s+FAILED\s+TARGET CONDITION$/);
    expect(list.out).toMatch(/echo-layer\s+layered\s+20\s+2\s+2\s+0\s+0\s+tags.env='prod'/);
    expect(list.out).toMatch(/prod\s+base\s+10\s+2\s+2\s+0\s+0\s+tags.env='prod'/);
    const json = JSON.parse((await cli('deployment', 'list', '--json')).out) as Array<{ id: string }>;
    expect(json.map((c) => c.id)).toEqual(['echo-layer', 'prod']);
  });

  it('shows one deployment with its metrics, custom ones included', async () => {
    const r = await cli('deployment', 'show', 'prod');
    expect(r.out).toMatch(/kind\s+base/);
    expect(r.out).toMatch(/targetedCount 2/);
    expect(r.out).toMatch(/prod 2 \(custom\)/);
    const missing = await cli('deployment', 'show', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/Configuration nope not found/);
  });

  it('updates the target condition, priority, labels and metrics; the devices follow', async () => {
    const before = JSON.parse((await cli('deployment', 'show', 'prod', '--json')).out) as { etag: string; createdTimeUtc: string };
    const r = await cli('deployment', 'update', 'prod', '--target-condition', "tags.env='dev'", '--priority', '11', '--labels', '{"owner":"ops"}', '--metrics', metricsFile);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^updated deployment prod\n/);
    expect(r.out).toMatch(/priority\s+11/);
    await server!.deployments.settled();
    expect(agentModules('gw-3')).toEqual(['SimulatedTemperatureSensor', 'filter']);
    const after = JSON.parse((await cli('deployment', 'show', 'prod', '--json')).out) as { etag: string; createdTimeUtc: string; labels: unknown; targetCondition: string; metrics: { queries: unknown } };
    expect(after).toMatchObject({ targetCondition: "tags.env='dev'", labels: { owner: 'ops' }, metrics: { queries: { prod: "SELECT deviceId FROM devices WHERE tags.env = 'prod'" } }, createdTimeUtc: before.createdTimeUtc });
    expect(after.etag).not.toBe(before.etag);
    // back as it was, for the tests below
    expect((await cli('deployment', 'update', 'prod', '--target-condition', "tags.env='prod'", '--etag', after.etag)).code).toBe(0);
    expect(server!.store.configurations.get('prod')?.doc.targetCondition).toBe("tags.env='prod'");
  });

  it('refuses an update with a stale ETag, one that changes nothing, and any change of content; nothing changes', async () => {
    const before = server!.store.configurations.get('prod')!;
    const stale = await cli('deployment', 'update', 'prod', '--priority', '99', '--etag', 'bm9wZQ==');
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/ETag .* does not match/);
    const nothing = await cli('deployment', 'update', 'prod');
    expect(nothing.code).toBe(1);
    expect(nothing.err).toMatch(/nothing to update/);
    const content = await cli('deployment', 'update', 'prod', '--content', layerFile);
    expect(content.code).toBe(1);
    expect(content.err).toMatch(/content of deployment prod cannot change/);
    const bad = await cli('deployment', 'update', 'prod', '--target-condition', 'tags.env =');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/targetCondition is invalid/);
    const missing = await cli('deployment', 'update', 'nope', '--priority', '1');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/Configuration nope not found/);
    expect(server!.store.configurations.get('prod')).toEqual(before);
  });

  it('moves a device when its tag changes, and deletes a deployment', async () => {
    server!.store.twins.update({ deviceId: 'gw-3' }, { tags: { env: 'prod' } });
    await server!.deployments.settled();
    expect(agentModules('gw-3')).toEqual(['SimulatedTemperatureSensor', 'echo', 'filter']);
    expect((await cli('deployment', 'delete', 'echo-layer')).out).toBe('deleted deployment echo-layer\n');
    expect((await cli('deployment', 'list')).out).not.toContain('echo-layer');
  });
});
