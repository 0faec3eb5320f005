import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { V1Deployment, V1EndpointSlice, V1Role, V1RoleBinding, V1Service, V1ServiceAccount } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../runtime/manifest/index.js';
import {
  AZURE_STACK_EDGE_LAYOUT,
  DEFAULT_LAYOUT,
  checkTranslateInputs,
  devicesForLayout,
  hubLabelValue,
  layoutByName,
  layoutDeviceSelector,
  layoutModuleSelector,
  translateDeployment,
  type Layout,
  type TranslateContext,
} from '../../../runtime/translate/index.js';
import { agent, spec } from '../../helpers/manifest-builders.js';

const context: TranslateContext = {
  deviceId: 'Edge_1',
  iotHubHostName: 'MyHub.azure-devices.net',
  gatewayHostName: '172.18.0.1:8883',
  hubCaPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  identities: { SimulatedTemperatureSensor: { sharedAccessKey: 'a2V5' } },
};
const hubEndpoint = { ip: '10.88.0.1', ports: { mqtts: 38883, https: 38443, amqps: 35671 } };
type T = ReturnType<typeof translateDeployment>;
const of = <O>(t: T, kind: string): O[] => t.objects.filter((o) => o.kind === kind) as O[];
const named = <O extends { metadata?: { name?: string } }>(t: T, kind: string, name: string): O | undefined => of<O>(t, kind).find((o) => o.metadata?.name === name);

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const examples = readdirSync(here('../../../deployments/examples')).filter((f) => f.endsWith('.json'));
const exampleConfig = (file: string) => parseManifestText(readFileSync(here(`../../../deployments/examples/${file}`), 'utf8')).value!.edgeAgent;

describe('layouts', () => {
  it.each(examples)('the default layout given explicitly translates %s exactly as no layout does', (file) => {
    const config = exampleConfig(file);
    expect(translateDeployment(config, { ...context, hubEndpoint, layout: DEFAULT_LAYOUT })).toEqual(translateDeployment(config, { ...context, hubEndpoint }));
  });

  it.each<[string, Layout, { namespace: string; deployment: Record<string, string>; matchLabels: Record<string, string>; deviceSelector: string; moduleSelector: string }]>([
    [
      'default',
      DEFAULT_LAYOUT,
      {
        namespace: 'edgemu-edge-1',
        deployment: { 'app.kubernetes.io/managed-by': 'edgemu', 'edgemu.io/device': 'edge_1', 'edgemu.io/module': 'simulatedtemperaturesensor' },
        matchLabels: { 'app.kubernetes.io/managed-by': 'edgemu', 'edgemu.io/device': 'edge_1', 'edgemu.io/module': 'simulatedtemperaturesensor' },
        deviceSelector: 'app.kubernetes.io/managed-by=edgemu,edgemu.io/device=edge_1',
        moduleSelector: 'app.kubernetes.io/managed-by=edgemu,edgemu.io/device=edge_1,edgemu.io/module=simulatedtemperaturesensor',
      },
    ],
    [
      'azure-stack-edge',
      AZURE_STACK_EDGE_LAYOUT,
      {
        namespace: 'iotedge',
        deployment: {
          'app.kubernetes.io/managed-by': 'edgemu',
          'net.azure-devices.edge.deviceid': 'edge_1',
          'net.azure-devices.edge.module': 'simulatedtemperaturesensor',
          'net.azure-devices.edge.hub': 'myhub',
        },
        // The hub label is in no selector: matchLabels are immutable.
        matchLabels: { 'app.kubernetes.io/managed-by': 'edgemu', 'net.azure-devices.edge.deviceid': 'edge_1', 'net.azure-devices.edge.module': 'simulatedtemperaturesensor' },
        deviceSelector: 'app.kubernetes.io/managed-by=edgemu,net.azure-devices.edge.deviceid=edge_1',
        moduleSelector: 'app.kubernetes.io/managed-by=edgemu,net.azure-devices.edge.deviceid=edge_1,net.azure-devices.edge.module=simulatedtemperaturesensor',
      },
    ],
  ])('%s: namespace, Deployment name and labels, selectors', (_name, layout, want) => {
    const t = translateDeployment(agent([spec('SimulatedTemperatureSensor')]), { ...context, layout });
    expect(t.namespace).toBe(want.namespace);
    expect(new Set(t.objects.map((o) => o.metadata?.namespace ?? o.metadata?.name))).toEqual(new Set([want.namespace]));
    const d = named<V1Deployment>(t, 'Deployment', 'simulatedtemperaturesensor')!;
    expect(d.metadata!.labels).toEqual(want.deployment);
    expect(d.spec!.selector.matchLabels).toEqual(want.matchLabels);
    expect(d.spec!.template.metadata!.labels).toEqual(want.deployment);
    expect(d.spec!.template.spec!.containers[0]!.name).toBe('simulatedtemperaturesensor');
    expect(named<V1Service>(t, 'Service', 'simulatedtemperaturesensor')!.spec!.selector).toEqual(want.matchLabels);
    expect(layoutDeviceSelector(layout, context.deviceId)).toBe(want.deviceSelector);
    expect(layoutModuleSelector(layout, context.deviceId, 'SimulatedTemperatureSensor')).toBe(want.moduleSelector);
    // Every object the device owns carries the device selector's labels.
    for (const o of t.objects) expect(o.metadata!.labels, `${o.kind}/${o.metadata!.name}`).toMatchObject(layout.deviceSelectorLabels(context.deviceId));
  });

  it.each<[string, Layout, { type: string; ports: [string, number, number][]; deviceKinds: string[] }]>([
    ['default', DEFAULT_LAYOUT, { type: 'ClusterIP', ports: [['mqtts', 8883, 38883], ['https', 443, 38443]], deviceKinds: ['Namespace', 'ConfigMap', 'Service', 'EndpointSlice'] }],
    [
      'azure-stack-edge',
      AZURE_STACK_EDGE_LAYOUT,
      {
        type: 'LoadBalancer',
        ports: [['https', 443, 38443], ['amqps', 5671, 35671], ['mqtts', 8883, 38883]],
        deviceKinds: ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Service', 'EndpointSlice'],
      },
    ],
  ])('%s: the edgehub Service in front of the host’s hub', (_name, layout, want) => {
    const t = translateDeployment(agent([spec('SimulatedTemperatureSensor')]), { ...context, hubEndpoint, layout });
    const service = named<V1Service>(t, 'Service', 'edgehub')!;
    expect(service.spec).toEqual({ type: want.type, ports: want.ports.map(([name, port, targetPort]) => ({ name, port, targetPort, protocol: 'TCP' })) });
    expect(service.spec!.selector).toBeUndefined();
    const slice = named<V1EndpointSlice>(t, 'EndpointSlice', 'edgehub-host')!;
    expect(slice.metadata!.labels!['kubernetes.io/service-name']).toBe('edgehub');
    expect(slice.endpoints).toEqual([{ addresses: ['10.88.0.1'], conditions: { ready: true } }]);
    expect(slice.ports).toEqual(want.ports.map(([name, , port]) => ({ name, port, protocol: 'TCP' })));
    expect(t.deviceObjects.map((o) => o.kind)).toEqual(want.deviceKinds);
    const env = named<V1Deployment>(t, 'Deployment', 'simulatedtemperaturesensor')!.spec!.template.spec!.containers[0]!.env!;
    expect(env.find((e) => e.name === 'IOTEDGE_GATEWAYHOSTNAME')?.value).toBe('edgehub');
  });

  it('azure-stack-edge: an edgehub Service carries only the ports the hub serves', () => {
    const t = translateDeployment(agent([spec('sensor')]), { ...context, hubEndpoint: { ip: '10.88.0.1', ports: { mqtts: 8883 } }, layout: AZURE_STACK_EDGE_LAYOUT });
    expect(named<V1Service>(t, 'Service', 'edgehub')!.spec!.ports).toEqual([{ name: 'mqtts', port: 8883, targetPort: 8883, protocol: 'TCP' }]);
  });

  it('azure-stack-edge: the edge agent’s ServiceAccount, Role and RoleBinding, as the IoT Edge Helm chart names them', () => {
    const t = translateDeployment(agent([spec('sensor')]), { ...context, layout: AZURE_STACK_EDGE_LAYOUT });
    const sa = named<V1ServiceAccount>(t, 'ServiceAccount', 'edgeagent')!;
    expect(sa.automountServiceAccountToken).toBe(false);
    const role = named<V1Role>(t, 'Role', 'edgeagent')!;
    const can = (group: string, resource: string, verb: string) => role.rules!.some((r) => r.apiGroups!.includes(group) && r.resources!.includes(resource) && r.verbs.includes(verb));
    for (const [group, resource, verb] of [
      ['apps', 'deployments', 'patch'],
      ['', 'pods', 'watch'],
      ['', 'pods/log', 'get'],
      ['', 'services', 'patch'],
      ['', 'secrets', 'create'],
      ['', 'configmaps', 'patch'],
      ['discovery.k8s.io', 'endpointslices', 'patch'],
      ['', 'persistentvolumeclaims', 'delete'],
    ] as const) {
      expect(can(group, resource, verb), `${verb} ${group}/${resource}`).toBe(true);
    }
    expect(can('', 'nodes', 'list')).toBe(false);
    const binding = named<V1RoleBinding>(t, 'RoleBinding', 'edgeagent')!;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'edgeagent' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'edgeagent', namespace: 'iotedge' }]);
  });

  it.each(['EdgeAgent', 'edgeHub_', 'IoTEdged'])('azure-stack-edge refuses module %s, whose name its own objects carry; the default layout takes it', (name) => {
    expect(() => translateDeployment(agent([spec(name)]), { ...context, layout: AZURE_STACK_EDGE_LAYOUT })).toThrow(expect.objectContaining({ code: 'TRANSLATE_NAME_COLLISION' }));
    expect(translateDeployment(agent([spec(name)]), context).modules).toHaveLength(1);
  });

  it.each([
    ['myhub.azure-devices.net', 'myhub'],
    ['MyHub.azure-devices.net:8883', 'myhub'],
    ['localhost', 'localhost'],
    ['127.0.0.1', '127'],
    ['edgemu-hub', 'edgemu-hub'],
    ['_x_.example', 'x'],
  ])('the hub label of IoT Hub host name %s is %s', (host, want) => {
    expect(hubLabelValue(host)).toBe(want);
  });

  it.each([
    ['default', DEFAULT_LAYOUT],
    ['azure-stack-edge', AZURE_STACK_EDGE_LAYOUT],
  ] as const)('--layout %s names a layout', (name, layout) => {
    expect(layoutByName(name)).toBe(layout);
  });

  it('an unknown layout is no layout', () => {
    expect(layoutByName('ase')).toBeUndefined();
  });
});

describe('devices per cluster', () => {
  it.each<[string, Layout, string[], string[], string | undefined, string[], string[]]>([
    ['default: every device', DEFAULT_LAYOUT, ['b', 'a', 'c'], ['c'], 'b', ['a', 'b', 'c'], []],
    ['one device: it runs', AZURE_STACK_EDGE_LAYOUT, ['a'], [], undefined, ['a'], []],
    ['nothing running: the first by id', AZURE_STACK_EDGE_LAYOUT, ['b', 'a'], [], undefined, ['a'], ['b']],
    ['nothing running: the preferred device', AZURE_STACK_EDGE_LAYOUT, ['b', 'a'], [], 'b', ['b'], ['a']],
    ['a preferred device that is not an edge device does not count', AZURE_STACK_EDGE_LAYOUT, ['b', 'a'], [], 'z', ['a'], ['b']],
    ['the device with an agent keeps the namespace', AZURE_STACK_EDGE_LAYOUT, ['a', 'b', 'c'], ['c'], 'a', ['c'], ['a', 'b']],
    ['its agent gone with its device: the next takes over', AZURE_STACK_EDGE_LAYOUT, ['a', 'b'], ['x'], undefined, ['a'], ['b']],
    ['no devices', AZURE_STACK_EDGE_LAYOUT, [], [], undefined, [], []],
  ])('%s', (_name, layout, devices, running, preferred, run, refused) => {
    const got = devicesForLayout(layout, devices, running, preferred);
    expect(got.run).toEqual(run);
    expect(got.refused.map((r) => r.deviceId)).toEqual(refused);
  });

  it('says why a second device gets no agent and what to do', () => {
    const [refusal] = devicesForLayout(AZURE_STACK_EDGE_LAYOUT, ['edge-1', 'edge-2'], ['edge-1']).refused;
    expect(refusal!.reason).toBe(
      'layout azure-stack-edge places one IoT Edge device per cluster, in namespace iotedge (as an Azure Stack Edge device runs one); device edge-2 gets no agent because edge-1 owns iotedge — delete edge-1 or run edgemu without --layout azure-stack-edge',
    );
  });
});

describe('translate inputs for layouts', () => {
  it.each<[Partial<Parameters<typeof checkTranslateInputs>[0]>, string | undefined]>([
    [{ layout: 'default' }, undefined],
    [{ layout: 'azure-stack-edge', hubIp: '10.88.0.1' }, undefined],
    [{ layout: 'ase' }, '--layout "ase" is not a layout (default, azure-stack-edge)'],
    [{ hubIp: 'edgehub' }, '--hub-ip "edgehub" is not an IPv4 address (the host address pods reach the hub on, e.g. 10.88.0.1)'],
    [{ hubIp: '10.88.0.256' }, '--hub-ip "10.88.0.256" is not an IPv4 address (the host address pods reach the hub on, e.g. 10.88.0.1)'],
  ])('%j → %s', (inputs, want) => {
    expect(checkTranslateInputs({ deviceId: 'edge-1', ...inputs })).toBe(want);
  });
});
