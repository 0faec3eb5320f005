import type { V1Deployment, V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { effectivePlacement, placementPodFields, translateDeployment, type ModulePlacement, type TranslateContext } from '../../../runtime/translate/index.js';
import { agent, spec } from '../../helpers/manifest-builders.js';

const context: TranslateContext = {
  deviceId: 'edge-1',
  iotHubHostName: 'edgemu-hub',
  gatewayHostName: '172.18.0.1:8883',
  hubCaPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  identities: { sensor: { sharedAccessKey: 'a2V5' } },
};
const of = <T>(t: ReturnType<typeof translateDeployment>, kind: string): T[] => t.objects.filter((o) => o.kind === kind) as T[];
const pod = (t: ReturnType<typeof translateDeployment>, module: string) => t.modules.find((m) => m.name === module)!.deployment.spec!.template;
const env = (t: ReturnType<typeof translateDeployment>, module: string) =>
  Object.fromEntries(pod(t, module).spec!.containers[0]!.env!.map((e) => [e.name, e.value ?? e.valueFrom]));
const secret = (t: ReturnType<typeof translateDeployment>, module: string) =>
  Buffer.from((of<{ metadata: { name: string }; data: Record<string, string> }>(t, 'Secret').find((s) => s.metadata.name === `edgemu-identity-${module}`)!).data.connectionString!, 'base64').toString();

describe('the edgehub Service', () => {
  it('points at the host’s hub through a selector-less Service and an EndpointSlice, and pods name it as their gateway', () => {
    const t = translateDeployment(agent([spec('sensor')]), { ...context, hubEndpoint: { ip: '10.88.0.1', ports: { mqtts: 38883, https: 38443 } } });
    const [service] = of<V1Service>(t, 'Service').filter((s) => s.metadata!.name === 'edgehub');
    expect(service!.spec).toEqual({
      type: 'ClusterIP',
      ports: [
        { name: 'mqtts', port: 8883, targetPort: 38883, protocol: 'TCP' },
        { name: 'https', port: 443, targetPort: 38443, protocol: 'TCP' },
      ],
    });
    const [slice] = of<V1EndpointSlice>(t, 'EndpointSlice');
    expect(slice!.metadata!.labels).toMatchObject({ 'kubernetes.io/service-name': 'edgehub', 'endpointslice.kubernetes.io/managed-by': 'edgemu.io' });
    expect(slice!.endpoints).toEqual([{ addresses: ['10.88.0.1'], conditions: { ready: true } }]);
    expect(slice!.ports).toEqual([
      { name: 'mqtts', port: 38883, protocol: 'TCP' },
      { name: 'https', port: 38443, protocol: 'TCP' },
    ]);
    expect(t.deviceObjects.map((o) => o.kind)).toEqual(['Namespace', 'ConfigMap', 'Service', 'EndpointSlice']);
    expect(env(t, 'sensor').IOTEDGE_GATEWAYHOSTNAME).toBe('edgehub');
    expect(secret(t, 'sensor')).toMatch(/;GatewayHostName=edgehub$/);
  });

  it('is not made without a hub endpoint, and pods keep the given gateway', () => {
    const t = translateDeployment(agent([spec('sensor')]), context);
    expect(of(t, 'EndpointSlice')).toEqual([]);
    expect(env(t, 'sensor').IOTEDGE_GATEWAYHOSTNAME).toBe('172.18.0.1:8883');
  });

  it('refuses a hub endpoint that is not an IPv4 address', () => {
    expect(() => translateDeployment(agent([spec('sensor')]), { ...context, hubEndpoint: { ip: 'host.local', ports: { mqtts: 1 } } })).toThrow(
      expect.objectContaining({ code: 'TRANSLATE_INVALID_CONTEXT' }),
    );
  });
});

describe('placement', () => {
  it.each<[ModulePlacement | undefined, Record<string, string>, ModulePlacement]>([
    [undefined, {}, 'any'],
    ['any', { 'edgemu.io/simulate': 'crash-loop' }, 'any'],
    ['real', {}, 'real'],
    ['real', { 'edgemu.io/simulate': 'crash-loop' }, 'simulated'],
    ['simulated', {}, 'simulated'],
  ])('%s with pod labels %j goes to %s', (placement, labels, expected) => {
    expect(effectivePlacement(placement, labels)).toBe(expected);
  });

  it.each<[ModulePlacement, ReturnType<typeof placementPodFields>]>([
    ['any', {}],
    ['real', { nodeSelector: { 'edgemu.io/node-pool': 'real' } }],
    ['simulated', { nodeSelector: { 'edgemu.io/node-pool': 'simulated' }, tolerations: [{ key: 'edgemu.io/node-pool', operator: 'Equal', value: 'simulated', effect: 'NoSchedule' }] }],
  ])('%s → %j', (placement, fields) => {
    expect(placementPodFields(placement)).toEqual(fields);
  });

  it('puts each module on its pool, keeping the user’s own nodeSelector, and a simulate label always on the simulated pool', () => {
    const t = translateDeployment(
      agent([
        spec('a', { createOptions: { 'k8s-experimental': { nodeSelector: { disk: 'ssd' } } } }),
        spec('b'),
        spec('c', { createOptions: { Labels: { 'edgemu.io/simulate': 'crash-loop' } } }),
        spec('d'),
      ]),
      { ...context, placement: { a: 'real', b: 'simulated', c: 'real' } },
    );
    expect(pod(t, 'a').spec!.nodeSelector).toEqual({ disk: 'ssd', 'edgemu.io/node-pool': 'real' });
    expect(pod(t, 'a').spec!.tolerations).toBeUndefined();
    expect(pod(t, 'b').spec!.nodeSelector).toEqual({ 'edgemu.io/node-pool': 'simulated' });
    expect(pod(t, 'b').spec!.tolerations).toHaveLength(1);
    expect(pod(t, 'c').spec!.nodeSelector).toEqual({ 'edgemu.io/node-pool': 'simulated' });
    expect(pod(t, 'd').spec!.nodeSelector).toBeUndefined();
  });

  it('a changed placement changes the spec hash (the pod moves)', () => {
    const h = (p: ModulePlacement) => translateDeployment(agent([spec('a')]), { ...context, placement: { a: p } }).modules[0]!.specHash;
    expect(h('real')).not.toBe(h('simulated'));
  });
});

describe('host ports across modules', () => {
  it('gives a host port to the module that starts first and warns for the other', () => {
    const bind = { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } };
    const t = translateDeployment(agent([spec('late', { startupOrder: 2, createOptions: bind }), spec('early', { startupOrder: 1, createOptions: bind })]), context);
    expect(pod(t, 'early').spec!.containers[0]!.ports).toEqual([{ containerPort: 80, protocol: 'TCP', hostPort: 8080 }]);
    expect(pod(t, 'late').spec!.containers[0]!.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(t.warnings).toContain(
      'module late: host port 8080/tcp is already bound by module early; it is not bound for this module (on IoT Edge this container would not start: the port is already allocated)',
    );
  });
});

describe('stand-in images', () => {
  it('annotates the Deployment and pod of a module whose image the node serves with the stand-in', () => {
    const image = 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5';
    const t = translateDeployment(agent([spec('sensor', { image }), spec('other')]), { ...context, standInImages: [image] });
    const d = t.modules.find((m) => m.name === 'sensor')!.deployment as V1Deployment;
    expect(d.metadata!.annotations!['edgemu.io/stand-in']).toBe(`edgemu stand-in for ${image} (modules/simulated-temperature-sensor-standin), not the publisher's image`);
    expect(pod(t, 'sensor').metadata!.annotations!['edgemu.io/stand-in']).toBeDefined();
    expect(pod(t, 'other').metadata!.annotations!['edgemu.io/stand-in']).toBeUndefined();
  });
});
