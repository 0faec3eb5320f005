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
    ['createOptions not JSON', (d) => (d.modules.sensor.settings.createOptions = '{"a":'), '/modules/sensor/settings/createOptions', 'not valid JSON'],
    ['createOptions an array', (d) => (d.modules.sensor.settings.createOptions = '[1]'), '/modules/sensor/settings/createOptions', 'JSON object'],
    ['createOptions chunk gap', (d) => (d.modules.sensor.settings.createOptions02 = '{}'), '/modules/sensor/settings/createOptions02', 'contiguous'],
    ['createOptions Binds not a list', (d) => (d.modules.sensor.settings.createOptions = '{"HostConfig":{"Binds":"/a:/b"}}'), '/modules/sensor/settings/createOptions', 'Binds'],
    ['createOptions HostPort a number', (d) => (d.modules.sensor.settings.createOptions = '{"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":80}]}}}'), '/modules/sensor/settings/createOptions', 'HostPort'],
    ['env value an object', (d) => (d.modules.sensor.env.X = { value: { a: 1 } }), '/modules/sensor/env/X/value', 'string'],
    ['env written as a plain value', (d) => (d.modules.sensor.env.X = '5'), '/modules/sensor/env/X', 'object'],
    ['env name with a space', (d) => (d.modules.sensor.env['MY VAR'] = { value: '1' }), '/modules/sensor/env/MY VAR', 'env name'],
    ['env name with a dot', (d) => (d.modules.sensor.env['a.b'] = { value: '1' }), '/modules/sensor/env/a.b', 'env name'],
    ['env name with "="', (d) => (d.modules.sensor.env['A=B'] = { value: '1' }), '/modules/sensor/env/A=B', 'env name'],
    ['env name with a non-ASCII letter', (d) => (d.modules.sensor.env['TEMPÉRATURE'] = { value: '1' }), '/modules/sensor/env/TEMPÉRATURE', 'env name'],
    ['createOptions a number', (d) => (d.modules.sensor.settings.createOptions = 5), '/modules/sensor/settings/createOptions', 'JSON object'],
    ['createOptions a boolean (read as .NET "True")', (d) => (d.modules.sensor.settings.createOptions = true), '/modules/sensor/settings/createOptions', 'not valid JSON'],
    ['a module property differing only in case', (d) => (d.modules.sensor.RestartPolicy = 'always'), '/modules/sensor/RestartPolicy', 'must be written "restartPolicy"'],
    ['module name with a dot', (d) => (d.modules['my.module'] = d.modules.filter), '/modules/my.module', 'not allowed'],
    ['module name too long', (d) => (d.modules['m'.repeat(129)] = d.modules.filter), `/modules/${'m'.repeat(129)}`, '128'],
    ['module names colliding by case', (d) => (d.modules.Sensor = d.modules.filter), '/modules/Sensor', 'collides'],
    ['module names colliding by _ and -', (d) => ((d.modules.a_b = d.modules.filter), (d.modules['a-b'] = d.modules.filter)), '/modules/a-b', 'collides'],
    ['user module colliding with edgeAgent', (d) => (d.modules.EdgeAgent = d.modules.filter), '/modules/EdgeAgent', 'collides'],
    ['user module named edgeHub', (d) => (d.modules.edgeHub = d.modules.filter), '/modules/edgeHub', 'system module'],
    ['registry credential missing address', (d) => (d.runtime.settings.registryCredentials.r = { username: 'u', password: 'p' }), '/runtime/settings/registryCredentials/r/address', 'missing'],
    ['registry credential with a blank password', (d) => (d.runtime.settings.registryCredentials.r = { username: 'u', password: '  ', address: 'a.io' }), '/runtime/settings/registryCredentials/r/password', 'blank'],
    ['registry credential with an empty address', (d) => (d.runtime.settings.registryCredentials.r = { username: 'u', password: 'p', address: '' }), '/runtime/settings/registryCredentials/r/address', 'not allowed'],
    ['registry credential name with a dot (1.1)', (d) => (d.runtime.settings.registryCredentials['a.io'] = { username: 'u', password: 'p', address: 'a.io' }), '/runtime/settings/registryCredentials/a.io', 'not allowed'],
    ['modules not an object', (d) => (d.modules = []), '/modules', 'object'],
  ])('reports 400 for %s', (_rule, change, path, words) => {
    const r = validateEdgeAgentDesired(withChange(change));
    expect(r.status).toBe(400);
    const issue = r.errors.find((e) => e.path === path);
    expect(issue, JSON.stringify(r.errors)).toBeDefined();
    expect(issue!.message).toContain(words);
  });

  // What edgeAgent accepts although the SchemaStore 1.1 schema or an earlier edgemu refused it:
  // the change, then a word every warning (if any is expected) must contain.
  it.each<[string, (d: Json) => void, string | undefined]>([
    // EnvVal.cs / DockerModule.cs: no env name check; Kubernetes 1.34+ takes any printable ASCII but "="
    ['an env name in ASP.NET configuration style', (d) => (d.modules.sensor.env['Logging:LogLevel:Microsoft'] = { value: 'Error' }), undefined],
    ['an env name starting with a digit', (d) => (d.modules.sensor.env['9LIVES'] = { value: '1' }), undefined],
    ['an env name with a slash', (d) => (d.modules.sensor.env['A/B'] = { value: '1' }), undefined],
    // EnvVal(string value) turns null or a missing value into ""
    ['an env value null', (d) => (d.modules.sensor.env.X = { value: null }), 'empty string'],
    ['an env entry without value', (d) => (d.modules.sensor.env.X = {}), 'empty string'],
    // Json.NET ignores unknown members (ModuleSetSerde.cs, TypeSpecificSerDe.cs)
    ['edgeAgent with a status (1.1)', (d) => (d.systemModules.edgeAgent.status = 'running'), '/systemModules/edgeAgent/status'],
    ['an unknown top-level property (1.1)', (d) => (d.extra = true), '/extra'],
    ['a _comment in a module (1.1)', (d) => (d.modules.sensor._comment = 'why'), '/modules/sensor/_comment'],
    ['imagePullPolicy inside settings (1.1)', (d) => (d.modules.sensor.settings.imagePullPolicy = 'never'), 'belongs to the module'],
    ['createOptions in the module, not settings', (d) => (d.modules.sensor.createOptions = '{}'), 'belongs inside "settings"'],
    ['a _comment in runtime settings (1.1)', (d) => (d.runtime.settings._comment_registryCredentials = 'fill in'), '/runtime/settings/_comment_registryCredentials'],
    // RegistryCredentials.cs: CheckNonWhiteSpace only; Json.NET turns a number into its text
    ['a registry password with a space', (d) => (d.runtime.settings.registryCredentials.r = { username: 'u', password: 'p w', address: 'a.io' }), undefined],
    ['a numeric registry username', (d) => (d.runtime.settings.registryCredentials.r = { username: 1, password: 'p', address: 'a.io' }), undefined],
    // DockerConfig.cs reads digest
    ['settings.digest', (d) => (d.modules.sensor.settings.digest = 'sha256:' + 'a'.repeat(64)), undefined],
    // DockerConfigJsonConverter joins each chunk's text: an object is its JSON
    ['createOptions written as an object', (d) => (d.modules.sensor.settings.createOptions = { HostConfig: { Privileged: true } }), 'written as JSON'],
    ['createOptions null', (d) => (d.modules.sensor.settings.createOptions = null), 'written as JSON'],
    // Binds go to Docker unchecked; Windows paths are valid there
    ['a Windows bind with backslashes', (d) => (d.modules.sensor.settings.createOptions = JSON.stringify({ HostConfig: { Binds: ['C:\\ProgramData\\iotedge:C:\\data'] } })), 'Linux node'],
    ['a Windows bind with forward slashes', (d) => (d.modules.sensor.settings.createOptions = JSON.stringify({ HostConfig: { Binds: ['C:/Dev/x:/d'] } })), 'Linux node'],
  ])('accepts %s, as IoT Edge does', (_rule, change, warning) => {
    const r = validateEdgeAgentDesired(withChange(change));
    expect(r.errors).toEqual([]);
    expect(r.status).toBe(200);
    if (warning === undefined) expect(r.warnings).toEqual([]);
    else {
      expect(r.warnings.length, JSON.stringify(r.warnings)).toBeGreaterThan(0);
      expect(r.warnings.join('\n')).toContain(warning);
    }
  });

  it('normalizes object-valued createOptions to the string form and ASP.NET env names as written', () => {
    const r = validateEdgeAgentDesired(withChange((d) => ((d.modules.sensor.settings.createOptions = { HostConfig: { Privileged: true } }), (d.modules.sensor.env['Logging:LogLevel'] = { value: null }))));
    const sensor = r.value!.modules.find((m) => m.name === 'sensor')!;
    expect(sensor.createOptionsRaw).toBe('{"HostConfig":{"Privileged":true}}');
    expect(sensor.createOptions).toEqual({ HostConfig: { Privileged: true } });
    expect(sensor.env['Logging:LogLevel']).toBe('');
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
