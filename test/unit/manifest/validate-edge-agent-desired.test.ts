import { describe, expect, it } from 'vitest';
import { validateEdgeAgentDesired } from '../../../runtime/manifest/index.js';
import { agentDesired, type Json } from './fixtures.js';

const withChange = (change: (d: Json) => void): Json => {
  const d = agentDesired();
  change(d);
  return d;
};
const paths = (r: { errors: { path: string }[] }) => r.errors.map((e) => e.path);

describe('validateEdgeAgentDesired', () => {
  it('accepts a valid section and normalizes it with IoT Edge defaults', () => {
    const r = validateEdgeAgentDesired(agentDesired());
    expect(r.status).toBe(200);
    const v = r.value!;
    expect(v.modules.map((m) => m.name)).toEqual(['filter', 'sensor']);
    const filter = v.modules[0]!;
    expect(filter).toEqual({
      name: 'filter',
      type: 'docker',
      version: '',
      status: 'running',
      restartPolicy: 'on-unhealthy',
      imagePullPolicy: 'on-create',
      startupOrder: 4294967295,
      image: 'example/filter:latest',
      createOptions: {},
      createOptionsRaw: '',
      env: {},
    });
    expect(v.modules[1]!.env).toEqual({ INTERVAL: '5' });
    expect(v.systemModules.edgeAgent).toMatchObject({ status: 'running', restartPolicy: 'always', startupOrder: 0 });
    expect(v.systemModules.edgeHub).toMatchObject({ status: 'running', restartPolicy: 'always', startupOrder: 0, image: 'mcr.microsoft.com/azureiotedge-hub:1.5' });
    expect(v.runtime).toEqual({ type: 'docker', minDockerVersion: 'v1.25', loggingOptions: '', registryCredentials: [] });
  });

  it.each([
    ['a number', 5, '5'],
    ['a negative number', -1, '-1'],
    ['a decimal', 0.25, '0.25'],
    ['a boolean', true, 'true'],
    ['a string', 'x y', 'x y'],
    ['an empty string', '', ''],
  ])('turns an env value that is %s into a string', (_what, value, expected) => {
    const r = validateEdgeAgentDesired(withChange((d) => (d.modules.sensor.env.V = { value })));
    expect(r.value!.modules[1]!.env.V).toBe(expected);
  });

  it('joins createOptions chunks and parses them', () => {
    const r = validateEdgeAgentDesired(
      withChange((d) => {
        d.modules.sensor.settings.createOptions = '{"HostConfig":{"Binds":';
        d.modules.sensor.settings.createOptions01 = '["/data:/data"]}}';
      }),
    );
    expect(r.value!.modules[1]!.createOptions).toEqual({ HostConfig: { Binds: ['/data:/data'] } });
    expect(r.value!.modules[1]!.createOptionsRaw).toBe('{"HostConfig":{"Binds":["/data:/data"]}}');
  });

  it('sorts registry credentials by name and keeps their fields', () => {
    const r = validateEdgeAgentDesired(
      withChange((d) => {
        d.runtime.settings.registryCredentials = {
          zeta: { username: 'u2', password: 'p2', address: 'z.azurecr.io' },
          alpha: { username: 'u1', password: 'p1', address: 'a.azurecr.io' },
        };
      }),
    );
    expect(r.value!.runtime.registryCredentials).toEqual([
      { name: 'alpha', address: 'a.azurecr.io', username: 'u1', password: 'p1' },
      { name: 'zeta', address: 'z.azurecr.io', username: 'u2', password: 'p2' },
    ]);
  });

  it.each([
    ['an empty object', {}],
    ['null', null],
    ['undefined', undefined],
    ['only twin metadata', { $version: 4, $metadata: { $lastUpdated: '2024-01-01T00:00:00Z' } }],
  ])('reports 417 for %s', (_what, desired) => {
    const r = validateEdgeAgentDesired(desired);
    expect(r.status).toBe(417);
    expect(r.errors[0]!.path).toBe('');
  });

  it.each([['an array', []], ['a string', 'x'], ['a number', 3]])('reports 400 for %s', (_what, desired) => {
    expect(validateEdgeAgentDesired(desired).status).toBe(400);
  });

  it('ignores the twin metadata a hub adds to desired properties', () => {
    const r = validateEdgeAgentDesired({ ...agentDesired(), $version: 7, $metadata: {} });
    expect(r.status).toBe(200);
  });

  it.each(['1.0', '1.0.0', '1.1', '1.1.0'])('accepts schemaVersion %s', (version) => {
    expect(validateEdgeAgentDesired(withChange((d) => (d.schemaVersion = version))).status).toBe(200);
  });

  it.each([
    ['1'],
    ['1.2'],
    ['1.1.1'],
    ['1.1.0.0'],
    ['2.0'],
    ['0.9'],
    ['abc'],
    [''],
    [1.1],
    [null],
  ])('reports 412 for schemaVersion %j', (version) => {
    const r = validateEdgeAgentDesired(withChange((d) => (d.schemaVersion = version)));
    expect(r.status).toBe(412);
    expect(paths(r)).toEqual(['/schemaVersion']);
  });

  it('reports 412 when schemaVersion is missing', () => {
    const r = validateEdgeAgentDesired(withChange((d) => delete d.schemaVersion));
    expect(r.status).toBe(412);
    expect(r.errors[0]).toEqual({ path: '/schemaVersion', message: expect.stringContaining('missing') });
  });

  it('reports 412 over 400 and still lists both problems', () => {
    const r = validateEdgeAgentDesired(withChange((d) => ((d.schemaVersion = '3.0'), (d.modules.sensor.status = 'on'))));
    expect(r.status).toBe(412);
    expect(paths(r)).toEqual(['/schemaVersion', '/modules/sensor/status']);
  });

  // One rule per row: the change, where the error must point, and a word the message must contain.
  it.each<[string, (d: Json) => void, string, string]>([
    ['runtime type not docker', (d) => (d.runtime.type = 'containerd'), '/runtime/type', '"docker"'],
    ['runtime missing', (d) => delete d.runtime, '/runtime', 'missing'],
    ['runtime settings missing', (d) => delete d.runtime.settings, '/runtime/settings', 'missing'],
    ['systemModules.edgeHub missing', (d) => delete d.systemModules.edgeHub, '/systemModules/edgeHub', 'missing'],
    ['edgeHub status missing', (d) => delete d.systemModules.edgeHub.status, '/systemModules/edgeHub/status', 'missing'],
    ['edgeAgent with a status (not allowed in 1.1)', (d) => (d.systemModules.edgeAgent.status = 'running'), '/systemModules/edgeAgent/status', 'unknown property'],
    ['module type not docker', (d) => (d.modules.sensor.type = 'rkt'), '/modules/sensor/type', '"docker"'],
    ['module status not allowed', (d) => (d.modules.sensor.status = 'Running'), '/modules/sensor/status', '"running", "stopped"'],
    ['module status missing', (d) => delete d.modules.sensor.status, '/modules/sensor/status', 'missing'],
    ['restartPolicy not allowed', (d) => (d.modules.sensor.restartPolicy = 'unless-stopped'), '/modules/sensor/restartPolicy', 'on-unhealthy'],
    ['imagePullPolicy not allowed', (d) => (d.modules.sensor.imagePullPolicy = 'always'), '/modules/sensor/imagePullPolicy', 'on-create'],
    ['startupOrder negative', (d) => (d.modules.sensor.startupOrder = -1), '/modules/sensor/startupOrder', '≥ 0'],
    ['startupOrder above uint32', (d) => (d.modules.sensor.startupOrder = 4294967296), '/modules/sensor/startupOrder', '4294967295'],
    ['startupOrder fractional', (d) => (d.modules.sensor.startupOrder = 1.5), '/modules/sensor/startupOrder', 'integer'],
    ['version not a string', (d) => (d.modules.sensor.version = 1), '/modules/sensor/version', 'string'],
    ['settings missing', (d) => delete d.modules.sensor.settings, '/modules/sensor/settings', 'missing'],
    ['image missing', (d) => delete d.modules.sensor.settings.image, '/modules/sensor/settings/image', 'missing'],
    ['image empty', (d) => (d.modules.sensor.settings.image = ''), '/modules/sensor/settings/image', 'empty'],
    ['image unparsable', (d) => (d.modules.sensor.settings.image = 'Example/Sensor'), '/modules/sensor/settings/image', 'lower-case'],
    ['createOptions not a string', (d) => (d.modules.sensor.settings.createOptions = { HostConfig: {} }), '/modules/sensor/settings/createOptions', 'string'],
    ['createOptions not JSON', (d) => (d.modules.sensor.settings.createOptions = '{"a":'), '/modules/sensor/settings/createOptions', 'not valid JSON'],
    ['createOptions an array', (d) => (d.modules.sensor.settings.createOptions = '[1]'), '/modules/sensor/settings/createOptions', 'JSON object'],
    ['createOptions chunk gap', (d) => (d.modules.sensor.settings.createOptions02 = '{}'), '/modules/sensor/settings/createOptions02', 'contiguous'],
    ['createOptions Binds not a list', (d) => (d.modules.sensor.settings.createOptions = '{"HostConfig":{"Binds":"/a:/b"}}'), '/modules/sensor/settings/createOptions', 'Binds'],
    ['createOptions HostPort a number', (d) => (d.modules.sensor.settings.createOptions = '{"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":80}]}}}'), '/modules/sensor/settings/createOptions', 'HostPort'],
    ['createOptions in the module, not settings', (d) => (d.modules.sensor.createOptions = '{}'), '/modules/sensor/createOptions', 'belongs inside "settings"'],
    ['env entry without value', (d) => (d.modules.sensor.env.X = {}), '/modules/sensor/env/X/value', 'missing'],
    ['env value null', (d) => (d.modules.sensor.env.X = { value: null }), '/modules/sensor/env/X/value', 'string'],
    ['env value an object', (d) => (d.modules.sensor.env.X = { value: { a: 1 } }), '/modules/sensor/env/X/value', 'string'],
    ['env written as a plain value', (d) => (d.modules.sensor.env.X = '5'), '/modules/sensor/env/X', 'object'],
    ['env name starting with a digit', (d) => (d.modules.sensor.env['9LIVES'] = { value: '1' }), '/modules/sensor/env/9LIVES', 'env name'],
    ['env name with a space', (d) => (d.modules.sensor.env['MY VAR'] = { value: '1' }), '/modules/sensor/env/MY VAR', 'env name'],
    ['env name with a slash (pointer-escaped)', (d) => (d.modules.sensor.env['A/B'] = { value: '1' }), '/modules/sensor/env/A~1B', 'env name'],
    ['env name with a dot', (d) => (d.modules.sensor.env['a.b'] = { value: '1' }), '/modules/sensor/env/a.b', 'env name'],
    ['module name with a dot', (d) => (d.modules['my.module'] = d.modules.filter), '/modules/my.module', 'not allowed'],
    ['module name too long', (d) => (d.modules['m'.repeat(129)] = d.modules.filter), `/modules/${'m'.repeat(129)}`, '128'],
    ['module names colliding by case', (d) => (d.modules.Sensor = d.modules.filter), '/modules/Sensor', 'collides'],
    ['module names colliding by _ and -', (d) => ((d.modules.a_b = d.modules.filter), (d.modules['a-b'] = d.modules.filter)), '/modules/a-b', 'collides'],
    ['user module colliding with edgeAgent', (d) => (d.modules.EdgeAgent = d.modules.filter), '/modules/EdgeAgent', 'collides'],
    ['user module named edgeHub', (d) => (d.modules.edgeHub = d.modules.filter), '/modules/edgeHub', 'system module'],
    ['registry credential missing address', (d) => (d.runtime.settings.registryCredentials.r = { username: 'u', password: 'p' }), '/runtime/settings/registryCredentials/r/address', 'missing'],
    ['registry credential with whitespace', (d) => (d.runtime.settings.registryCredentials.r = { username: 'u', password: 'p w', address: 'a.io' }), '/runtime/settings/registryCredentials/r/password', 'whitespace'],
    ['registry credential name with a dot (1.1)', (d) => (d.runtime.settings.registryCredentials['a.io'] = { username: 'u', password: 'p', address: 'a.io' }), '/runtime/settings/registryCredentials/a.io', 'not allowed'],
    ['unknown top-level property (1.1)', (d) => (d.extra = true), '/extra', 'unknown property'],
    ['modules not an object', (d) => (d.modules = []), '/modules', 'object'],
  ])('reports 400 for %s', (_rule, change, path, words) => {
    const r = validateEdgeAgentDesired(withChange(change));
    expect(r.status).toBe(400);
    const issue = r.errors.find((e) => e.path === path);
    expect(issue, JSON.stringify(r.errors)).toBeDefined();
    expect(issue!.message).toContain(words);
  });

  it('tolerates unknown properties in schema 1.0 (the agent ignores them)', () => {
    const r = validateEdgeAgentDesired(withChange((d) => ((d.schemaVersion = '1.0'), (d.extra = true), (d.modules.sensor.note = 'x'))));
    expect(r.status).toBe(200);
  });

  it('lists every problem, not only the first', () => {
    const r = validateEdgeAgentDesired(
      withChange((d) => {
        d.modules.sensor.status = 'x';
        d.modules.filter.type = 'y';
        d.runtime.type = 'z';
      }),
    );
    expect(paths(r).sort()).toEqual(['/modules/filter/type', '/modules/sensor/status', '/runtime/type']);
  });
});
