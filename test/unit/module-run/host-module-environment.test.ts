import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostModuleEnvironment } from '../../../runtime/module-run/index.js';

const manifest = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../deployments/examples/sample-modules.deployment.json'), 'utf8'));
const agentDesired = { ...manifest.modulesContent.$edgeAgent['properties.desired'], $version: 4, $metadata: {} };

const base = {
  deviceId: 'edge-1',
  moduleId: 'sensor',
  identity: { primaryKey: 'a2V5', generationId: 'gen-1' },
  hub: { hostName: 'localhost', mqttsPort: 40123 },
  caFile: '/state/ca.pem',
  edgeAgentDesired: agentDesired,
};

describe('hostModuleEnvironment', () => {
  it('gives a deployed module the IoT Edge variables plus its manifest env and createOptions.Env', () => {
    const result = hostModuleEnvironment(base);
    expect(result.inManifest).toBe(true);
    expect(result.warnings).toEqual([]);
    expect(result.env).toEqual({
      EdgeHubConnectionString: 'HostName=localhost;DeviceId=edge-1;ModuleId=sensor;SharedAccessKey=a2V5;GatewayHostName=localhost:40123',
      EdgeModuleCACertificateFile: '/state/ca.pem',
      IOTEDGE_APIVERSION: '2022-08-03',
      IOTEDGE_AUTHSCHEME: 'sasToken',
      IOTEDGE_DEVICEID: 'edge-1',
      IOTEDGE_GATEWAYHOSTNAME: 'localhost:40123',
      IOTEDGE_IOTHUBHOSTNAME: 'localhost',
      IOTEDGE_MODULEGENERATIONID: 'gen-1',
      IOTEDGE_MODULEID: 'sensor',
      RuntimeLogLevel: 'info',
      SEND_INTERVAL: '5',
      MACHINE_TEMPERATURE_MIN: '20',
      MACHINE_TEMPERATURE_MAX: '40',
      TEMPERATURE_STEP: '1',
      TEMPERATURE_NOISE: '0',
    });
  });

  it('leaves the port out of the gateway host name when the hub listens on 8883', () => {
    const { env } = hostModuleEnvironment({ ...base, hub: { hostName: 'localhost', mqttsPort: 8883 } });
    expect(env.IOTEDGE_GATEWAYHOSTNAME).toBe('localhost');
    expect(env.EdgeHubConnectionString).toMatch(/;GatewayHostName=localhost$/);
  });

  it('names the hub by its host name but dials it on localhost, which its certificate always covers', () => {
    const { env } = hostModuleEnvironment({ ...base, hub: { hostName: 'myhub.example', mqttsPort: 40123 } });
    expect(env.IOTEDGE_IOTHUBHOSTNAME).toBe('myhub.example');
    expect(env.IOTEDGE_GATEWAYHOSTNAME).toBe('localhost:40123');
    expect(env.EdgeHubConnectionString).toBe('HostName=myhub.example;DeviceId=edge-1;ModuleId=sensor;SharedAccessKey=a2V5;GatewayHostName=localhost:40123');
  });

  it.each([
    ['fatal', 'fatal'],
    ['error', 'error'],
    ['warn', 'warning'],
    ['info', 'info'],
    ['debug', 'debug'],
    ['trace', 'verbose'],
    ['silent', 'info'],
  ])("passes edgemu's --log-level %s on as IoT Edge's RuntimeLogLevel %s (silent only quiets edgemu)", (level, runtimeLevel) => {
    expect(hostModuleEnvironment({ ...base, logLevel: level }).env.RuntimeLogLevel).toBe(runtimeLevel);
  });

  it.each([
    ['nothing was deployed', undefined, /nothing is deployed/],
    ['only twin metadata is there', { $version: 1 }, /nothing is deployed/],
    ['the desired properties are invalid', { schemaVersion: '9.0' }, /invalid \(412\)/],
    ['the module is not in the manifest', { ...agentDesired, modules: {} }, /not in the manifest deployed to device edge-1 \(modules: none\)/],
  ])('still gives IoT Edge variables, with a warning, when %s', (_case, desired, warning) => {
    const result = hostModuleEnvironment({ ...base, edgeAgentDesired: desired });
    expect(result.inManifest).toBe(false);
    expect(result.warnings.join('\n')).toMatch(warning);
    expect(result.env.IOTEDGE_MODULEID).toBe('sensor');
    expect(result.env.SEND_INTERVAL).toBeUndefined();
  });

  it('never lets manifest env replace the identity variables', () => {
    const desired = structuredClone(agentDesired);
    desired.modules.sensor.env.IOTEDGE_MODULEID = { value: 'someone-else' };
    const result = hostModuleEnvironment({ ...base, edgeAgentDesired: desired });
    expect(result.env.IOTEDGE_MODULEID).toBe('sensor');
    expect(result.warnings.join('\n')).toMatch(/IOTEDGE_MODULEID is set by edgemu/);
  });
});
