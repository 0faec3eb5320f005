import { describe, expect, it } from 'vitest';
import {
  escapeKubernetesExpansion,
  moduleConnectionString,
  moduleEnvironment,
  toContainerEnv,
  toProcessEnv,
  type ModuleEnvironmentInput,
} from '../../../runtime/translate/module-environment.js';
import { TranslateError } from '../../../runtime/translate/translate-error.js';

const base: ModuleEnvironmentInput = {
  deviceId: 'edge-1',
  moduleId: 'sensor',
  iotHubHostName: 'edgemu-hub',
  gatewayHostName: '10.0.0.1:8883',
  generationId: 'gen-1',
  connectionString: { value: 'HostName=edgemu-hub;DeviceId=edge-1;ModuleId=sensor;SharedAccessKey=a2V5;GatewayHostName=10.0.0.1:8883' },
  caCertificateFile: '/etc/edgemu/hub-ca/ca.pem',
};

const asMap = (input: ModuleEnvironmentInput) => toProcessEnv(moduleEnvironment(input).vars);

describe('moduleEnvironment', () => {
  it('injects the IoT Edge variables a module and ModuleClient.fromEnvironment need', () => {
    expect(asMap(base)).toEqual({
      EdgeHubConnectionString: 'HostName=edgemu-hub;DeviceId=edge-1;ModuleId=sensor;SharedAccessKey=a2V5;GatewayHostName=10.0.0.1:8883',
      EdgeModuleCACertificateFile: '/etc/edgemu/hub-ca/ca.pem',
      IOTEDGE_APIVERSION: '2022-08-03',
      IOTEDGE_AUTHSCHEME: 'sasToken',
      IOTEDGE_DEVICEID: 'edge-1',
      IOTEDGE_GATEWAYHOSTNAME: '10.0.0.1:8883',
      IOTEDGE_IOTHUBHOSTNAME: 'edgemu-hub',
      IOTEDGE_MODULEGENERATIONID: 'gen-1',
      IOTEDGE_MODULEID: 'sensor',
      RuntimeLogLevel: 'info',
    });
  });

  it('sorts variables by name ordinally', () => {
    const names = moduleEnvironment({ ...base, manifestEnv: { b: '1', A: '2', _x: '3' } }).vars.map((v) => v.name);
    expect(names).toEqual([...names].sort());
  });

  it.each<[string, Partial<ModuleEnvironmentInput>, Record<string, string | undefined>]>([
    ['createOptions.Env is passed through', { createOptionsEnv: ['A=1', 'B=x=y'] }, { A: '1', B: 'x=y' }],
    ['manifest env wins over createOptions.Env', { createOptionsEnv: ['A=from-create'], manifestEnv: { A: 'from-manifest' } }, { A: 'from-manifest' }],
    ['injected variables win over manifest env', { manifestEnv: { IOTEDGE_MODULEID: 'spoof' } }, { IOTEDGE_MODULEID: 'sensor' }],
    ['injected variables win over createOptions.Env', { createOptionsEnv: ['EdgeModuleCACertificateFile=/x'] }, { EdgeModuleCACertificateFile: '/etc/edgemu/hub-ca/ca.pem' }],
    ['RuntimeLogLevel from the manifest is kept', { manifestEnv: { RuntimeLogLevel: 'debug' }, logLevel: 'warn' }, { RuntimeLogLevel: 'debug' }],
    ['RuntimeLogLevel from createOptions.Env is kept', { createOptionsEnv: ['RuntimeLogLevel=trace'] }, { RuntimeLogLevel: 'trace' }],
    ['RuntimeLogLevel defaults to the caller level', { logLevel: 'warn' }, { RuntimeLogLevel: 'warn' }],
    ['the generation id is omitted when unknown', { generationId: undefined }, { IOTEDGE_MODULEGENERATIONID: undefined }],
    ['the workload URI is injected only when given', { workloadUri: 'http://10.0.0.1:15580' }, { IOTEDGE_WORKLOADURI: 'http://10.0.0.1:15580' }],
    ['the api version is configurable', { apiVersion: '2019-01-30' }, { IOTEDGE_APIVERSION: '2019-01-30' }],
  ])('%s', (_name, patch, expected) => {
    const env = asMap({ ...base, ...patch });
    for (const [k, v] of Object.entries(expected)) expect(env[k]).toBe(v);
  });

  it('warns when the module tries to set an injected variable', () => {
    const { warnings } = moduleEnvironment({ ...base, manifestEnv: { IOTEDGE_DEVICEID: 'x' } });
    expect(warnings).toEqual(['module sensor: env IOTEDGE_DEVICEID is set by edgemu; the module\'s own value is ignored']);
  });

  it.each([['NOVALUE'], ['=x'], [42]])('ignores the malformed createOptions.Env entry %j with a warning', (entry) => {
    const { vars, warnings } = moduleEnvironment({ ...base, createOptionsEnv: [entry] });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/createOptions\.Env\[0\]/);
    expect(vars).toHaveLength(10);
  });

  it('takes the connection string from a Secret key for pods', () => {
    const { vars } = moduleEnvironment({ ...base, connectionString: { secretKeyRef: { name: 'edgemu-identity-sensor', key: 'connectionString' } } });
    expect(vars.find((v) => v.name === 'EdgeHubConnectionString')).toEqual({
      name: 'EdgeHubConnectionString',
      valueFrom: { secretKeyRef: { name: 'edgemu-identity-sensor', key: 'connectionString' } },
    });
  });
});

describe('toProcessEnv', () => {
  it('refuses a Secret reference, which a host process cannot resolve', () => {
    const { vars } = moduleEnvironment({ ...base, connectionString: { secretKeyRef: { name: 's', key: 'k' } } });
    expect(() => toProcessEnv(vars)).toThrow(TranslateError);
  });
});

describe('toContainerEnv', () => {
  // Kubernetes docs "Define Environment Variables for a Container" (1.34+, RelaxedEnvironmentVariableValidation):
  // an env var name is any printable ASCII except '='; empty, non-ASCII and control characters are refused.
  it.each([['A=B'], [''], ['ÄÖ'], ['TAB\tNAME'], ['NL\n'], ['DEL\x7f']])('refuses the name %j with TRANSLATE_INVALID_ENV_NAME', (name) => {
    const { vars } = moduleEnvironment({ ...base, manifestEnv: { [name]: 'v' } });
    expect(() => toContainerEnv(vars, 'sensor')).toThrow(expect.objectContaining({ code: 'TRANSLATE_INVALID_ENV_NAME', details: { module: 'sensor', names: [name] } }));
  });

  // ASP.NET configuration names (as in Azure/iotedge's own e2e manifests), names starting with a digit, spaces and symbols.
  it.each([['_A'], ['a.b'], ['a-b'], ['X9'], ['Logging:LogLevel:Microsoft'], ['MY:VAR'], ['1ABC'], ['A B'], ['~!@#$%^&*()[]{}'], ['x+y#z']])('accepts the name %j', (name) => {
    const { vars } = moduleEnvironment({ ...base, manifestEnv: { [name]: 'v' } });
    expect(toContainerEnv(vars, 'sensor').some((v) => v.name === name)).toBe(true);
  });

  it('escapes $ so the kubelet does not expand $(VAR) references', () => {
    const { vars } = moduleEnvironment({ ...base, manifestEnv: { A: 'cost $5 $(HOME) $$' } });
    expect(toContainerEnv(vars, 'sensor').find((v) => v.name === 'A')).toEqual({ name: 'A', value: 'cost $$5 $$(HOME) $$$$' });
  });
});

describe('escapeKubernetesExpansion', () => {
  // The kubelet's expansion: `$$` → `$`, `$(NAME)` → value, anything else literal. Doubling every
  // `$` must give back the original under that rule.
  const expand = (s: string): string => s.replace(/\$(\$|\([^)]*\))/g, (_m, g: string) => (g === '$' ? '$' : 'EXPANDED'));
  it.each([['plain'], ['$'], ['$(A)'], ['$$(A)'], ['a$'], ['$x$y'], ['$((A))']])('round-trips %j through expansion', (s) => {
    expect(expand(escapeKubernetesExpansion(s))).toBe(s);
  });
});

describe('moduleConnectionString', () => {
  it('writes the fields in IoT Edge order, with the gateway last', () => {
    expect(moduleConnectionString({ hostName: 'h', deviceId: 'd', moduleId: 'm', sharedAccessKey: 'k==', gatewayHostName: 'g:1' })).toBe(
      'HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=k==;GatewayHostName=g:1',
    );
  });

  it('omits an absent gateway', () => {
    expect(moduleConnectionString({ hostName: 'h', deviceId: 'd', moduleId: 'm', sharedAccessKey: 'k' })).toBe('HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=k');
  });

  it('refuses an id containing ;', () => {
    expect(() => moduleConnectionString({ hostName: 'h', deviceId: 'a;b', moduleId: 'm', sharedAccessKey: 'k' })).toThrow(
      expect.objectContaining({ code: 'TRANSLATE_UNREPRESENTABLE_CONNECTION_STRING' }),
    );
  });
});
