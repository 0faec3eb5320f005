import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../runtime/manifest/index.js';
import type { ModuleSpec } from '../../../runtime/manifest/model.js';
import { agent, spec } from '../../helpers/manifest-builders.js';
import {
  ANNOTATION_SPEC_HASH,
  LABEL_DEVICE,
  LABEL_MANAGED_BY,
  LABEL_MODULE,
  deviceNamespace,
  moduleSelector,
  normalizeRegistryAddress,
  renderObjects,
  translateDeployment,
  withDefaultTag,
  type TranslateContext,
} from '../../../runtime/translate/index.js';
import type { V1Deployment, V1Secret, V1Service } from '@kubernetes/client-node';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const context: TranslateContext = {
  deviceId: 'edge-1',
  iotHubHostName: 'edgemu-hub',
  gatewayHostName: '172.18.0.1:8883',
  hubCaPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  identities: { viewer: { sharedAccessKey: 'a2V5', generationId: 'gen-viewer' } },
};

const byKind = <T>(objects: readonly unknown[], kind: string): T[] => objects.filter((o) => (o as { kind: string }).kind === kind) as T[];
const deploymentOf = (t: ReturnType<typeof translateDeployment>, module: string): V1Deployment => t.modules.find((m) => m.name === module)!.deployment;
const containerOf = (t: ReturnType<typeof translateDeployment>, module: string) => deploymentOf(t, module).spec!.template.spec!.containers[0]!;
const moduleLabelsOf = (t: ReturnType<typeof translateDeployment>, module: string) => deploymentOf(t, module).spec!.selector.matchLabels;
const envOf = (t: ReturnType<typeof translateDeployment>, module: string) => Object.fromEntries(containerOf(t, module).env!.map((e) => [e.name, e.value ?? e.valueFrom]));

describe('translateDeployment', () => {
  it('makes one namespace per device, named from the device id', () => {
    const t = translateDeployment(agent([]), { ...context, deviceId: 'Edge_Gateway.1' });
    expect(t.namespace).toBe('edgemu-edge-gateway-1');
    expect(t.objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'edgemu-edge-gateway-1', annotations: { 'edgemu.io/device-id': 'Edge_Gateway.1' } } });
    expect(deviceNamespace('kube-system')).toBe('edgemu-kube-system');
  });

  it('gives edgeAgent and edgeHub no workloads', () => {
    const t = translateDeployment(agent([]), context);
    expect(t.objects.map((o) => o.kind)).toEqual(['Namespace', 'ConfigMap']);
    expect(t.modules).toEqual([]);
  });

  it('labels every object as managed by edgemu for the device, and module objects with the module', () => {
    const t = translateDeployment(agent([spec('my_mod', { createOptions: { ExposedPorts: { '80/tcp': {} }, HostConfig: { Binds: ['v:/v'] } } })]), context);
    for (const o of t.objects) {
      expect(o.metadata!.labels![LABEL_MANAGED_BY]).toBe('edgemu');
      expect(o.metadata!.labels![LABEL_DEVICE]).toBe('edge-1');
      if (t.modules[0]!.objects.includes(o)) expect(o.metadata!.labels![LABEL_MODULE]).toBe('my-mod');
      else expect(o.metadata!.labels![LABEL_MODULE]).toBeUndefined();
      if (o.kind !== 'Namespace') expect(o.metadata!.namespace).toBe('edgemu-edge-1');
    }
    expect(t.modules[0]!.objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Secret', 'Service', 'Deployment']);
    expect(moduleSelector('edge-1', 'my_mod')).toBe('app.kubernetes.io/managed-by=edgemu,edgemu.io/device=edge-1,edgemu.io/module=my-mod');
  });

  it('keeps the original module name, version, restart policy and startup order in annotations', () => {
    const t = translateDeployment(agent([spec('My_Module', { version: '2.0', restartPolicy: 'on-failure', startupOrder: 3 })]), context);
    const d = deploymentOf(t, 'My_Module');
    expect(d.metadata!.name).toBe('my-module');
    expect(d.metadata!.annotations).toMatchObject({
      'edgemu.io/module-name': 'My_Module',
      'edgemu.io/module-version': '2.0',
      'edgemu.io/restart-policy': 'on-failure',
      'edgemu.io/startup-order': '3',
      [ANNOTATION_SPEC_HASH]: t.modules[0]!.specHash,
    });
    expect(d.spec!.template.metadata!.annotations!['edgemu.io/module-name']).toBe('My_Module');
  });

  it.each<[ModuleSpec['status'], number]>([
    ['running', 1],
    ['stopped', 0],
  ])('runs %s modules with %d replicas', (status, replicas) => {
    expect(deploymentOf(translateDeployment(agent([spec('mod', { status })]), context), 'mod').spec!.replicas).toBe(replicas);
  });

  it.each<[ModuleSpec['imagePullPolicy'], string]>([
    ['on-create', 'IfNotPresent'],
    ['never', 'Never'],
  ])('maps imagePullPolicy %s to %s', (policy, expected) => {
    expect(containerOf(translateDeployment(agent([spec('mod', { imagePullPolicy: policy })]), context), 'mod').imagePullPolicy).toBe(expected);
  });

  it.each([
    ['busybox', 'busybox:latest'],
    ['myacr.azurecr.io/app', 'myacr.azurecr.io/app:latest'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['app:1.2', 'app:1.2'],
    ['app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'],
  ])('gives the untagged image %s the tag latest (%s)', (image, expected) => {
    expect(withDefaultTag(image)).toBe(expected);
    expect(containerOf(translateDeployment(agent([spec('mod', { image })]), context), 'mod').image).toBe(expected);
  });

  it('uses the Recreate strategy so a module identity is never connected twice', () => {
    expect(deploymentOf(translateDeployment(agent([spec('mod')]), context), 'mod').spec!.strategy).toEqual({ type: 'Recreate' });
  });

  it('gives each module a ServiceAccount without API token and a pod without service links', () => {
    const t = translateDeployment(agent([spec('mod')]), context);
    expect(byKind(t.objects, 'ServiceAccount')).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ name: 'mod' }), automountServiceAccountToken: false })]);
    const pod = deploymentOf(t, 'mod').spec!.template.spec!;
    expect(pod).toMatchObject({ serviceAccountName: 'mod', automountServiceAccountToken: false, enableServiceLinks: false });
  });

  it('puts the connection string in a Secret and points EdgeHubConnectionString at it', () => {
    const t = translateDeployment(agent([spec('viewer')]), context);
    const secret = byKind<V1Secret>(t.objects, 'Secret').find((s) => s.metadata!.name === 'edgemu-identity-viewer')!;
    expect(Buffer.from(secret.data!.connectionString!, 'base64').toString()).toBe(
      'HostName=edgemu-hub;DeviceId=edge-1;ModuleId=viewer;SharedAccessKey=a2V5;GatewayHostName=172.18.0.1:8883',
    );
    expect(secret.metadata!.annotations!['edgemu.io/placeholder']).toBeUndefined();
    const env = envOf(t, 'viewer');
    expect(env.EdgeHubConnectionString).toEqual({ secretKeyRef: { name: 'edgemu-identity-viewer', key: 'connectionString' } });
    expect(env.IOTEDGE_MODULEGENERATIONID).toBe('gen-viewer');
    expect(JSON.stringify(deploymentOf(t, 'viewer'))).not.toContain('a2V5');
  });

  it('uses a given connection string as is', () => {
    const t = translateDeployment(agent([spec('mod')]), { ...context, identities: { mod: { connectionString: 'HostName=x;DeviceId=d;ModuleId=mod;SharedAccessKey=k' } } });
    const secret = byKind<V1Secret>(t.objects, 'Secret')[0]!;
    expect(Buffer.from(secret.data!.connectionString!, 'base64').toString()).toBe('HostName=x;DeviceId=d;ModuleId=mod;SharedAccessKey=k');
  });

  it('writes a marked placeholder and warns when the module key is unknown', () => {
    const t = translateDeployment(agent([spec('mod')]), { ...context, identities: {} });
    const secret = byKind<V1Secret>(t.objects, 'Secret')[0]!;
    expect(secret.metadata!.annotations!['edgemu.io/placeholder']).toBe('true');
    expect(Buffer.from(secret.data!.connectionString!, 'base64').toString()).toContain('SharedAccessKey=EDGEMU-PLACEHOLDER');
    expect(t.warnings).toContain('module mod: no identity key is known for this module; Secret edgemu-identity-mod holds a placeholder key the hub will refuse');
  });

  it('looks identities up by own property only, so __proto__ and constructor are ordinary module names', () => {
    const identities = Object.fromEntries([['__proto__', { sharedAccessKey: 'cHJvdG8=' }]]);
    const t = translateDeployment(agent([spec('__proto__'), spec('constructor'), spec('other')]), { ...context, identities });
    const keyOf = (name: string) => Buffer.from(byKind<V1Secret>(t.objects, 'Secret').find((s) => s.metadata!.name === name)!.data!.connectionString!, 'base64').toString();
    expect(keyOf('edgemu-identity-proto')).toContain('SharedAccessKey=cHJvdG8=');
    expect(keyOf('edgemu-identity-other')).toContain('SharedAccessKey=EDGEMU-PLACEHOLDER');
    expect(keyOf('edgemu-identity-constructor')).toContain('SharedAccessKey=EDGEMU-PLACEHOLDER');
  });

  it('mounts the hub CA from a ConfigMap and names the file in EdgeModuleCACertificateFile', () => {
    const t = translateDeployment(agent([spec('mod')]), context);
    expect(t.objects[1]).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'edgemu-hub-ca' }, data: { 'ca.pem': context.hubCaPem } });
    const pod = deploymentOf(t, 'mod').spec!.template.spec!;
    expect(pod.volumes![0]).toEqual({ name: 'edgemu-hub-ca', configMap: { name: 'edgemu-hub-ca' } });
    expect(pod.containers[0]!.volumeMounts![0]).toEqual({ name: 'edgemu-hub-ca', mountPath: '/etc/edgemu/hub-ca', readOnly: true });
    expect(envOf(t, 'mod').EdgeModuleCACertificateFile).toBe('/etc/edgemu/hub-ca/ca.pem');
  });

  it('warns and writes a marked placeholder CA when none is given', () => {
    const t = translateDeployment(agent([]), { ...context, hubCaPem: undefined });
    expect(t.objects[1]).toMatchObject({ metadata: { annotations: { 'edgemu.io/placeholder': 'true' } } });
    expect(t.warnings[0]).toMatch(/no hub CA was given/);
  });

  it('injects the IoT Edge environment with the configured gateway', () => {
    const env = envOf(translateDeployment(agent([spec('mod', { env: { A: '1' } })]), { ...context, logLevel: 'debug' }), 'mod');
    expect(env).toMatchObject({
      A: '1',
      IOTEDGE_DEVICEID: 'edge-1',
      IOTEDGE_MODULEID: 'mod',
      IOTEDGE_IOTHUBHOSTNAME: 'edgemu-hub',
      IOTEDGE_GATEWAYHOSTNAME: '172.18.0.1:8883',
      IOTEDGE_AUTHSCHEME: 'sasToken',
      IOTEDGE_APIVERSION: '2022-08-03',
      RuntimeLogLevel: 'debug',
    });
  });

  it('escapes $ in env, command and args so Kubernetes passes them verbatim', () => {
    const c = containerOf(translateDeployment(agent([spec('mod', { env: { P: '$(HOME)' }, createOptions: { Entrypoint: ['sh', '-c'], Cmd: ['echo $HOME'] } })]), context), 'mod');
    expect(c.env!.find((e) => e.name === 'P')!.value).toBe('$$(HOME)');
    expect(c.command).toEqual(['sh', '-c']);
    expect(c.args).toEqual(['echo $$HOME']);
  });

  it('refuses env names Kubernetes cannot take (non-ASCII, control characters)', () => {
    expect(() => translateDeployment(agent([spec('mod', { env: { 'BAD\u00e4': 'x' } })]), context)).toThrow(expect.objectContaining({ code: 'TRANSLATE_INVALID_ENV_NAME' }));
    expect(() => translateDeployment(agent([spec('mod', { createOptions: { Env: ['MY\tVAR=1'] } })]), context)).toThrow(expect.objectContaining({ code: 'TRANSLATE_INVALID_ENV_NAME' }));
  });

  it('keeps ASP.NET-style env names with ":" as Kubernetes 1.34+ accepts them', () => {
    const c = containerOf(translateDeployment(agent([spec('mod', { env: { 'Logging:LogLevel:Microsoft': 'Warning' }, createOptions: { Env: ['1X:Y=2'] } })]), context), 'mod');
    expect(c.env).toEqual(expect.arrayContaining([{ name: 'Logging:LogLevel:Microsoft', value: 'Warning' }, { name: '1X:Y', value: '2' }]));
  });

  it('refuses module names that collide after sanitization', () => {
    expect(() => translateDeployment(agent([spec('my_mod'), spec('my-mod')]), context)).toThrow(
      expect.objectContaining({ code: 'TRANSLATE_NAME_COLLISION', details: { kind: 'module', names: ['my-mod', 'my_mod'], k8sName: 'my-mod' } }),
    );
  });

  it('gives volume names that differ only in case or punctuation distinct PVCs', () => {
    const m = spec('mod', { createOptions: { HostConfig: { Binds: ['my_vol:/a', 'my-vol:/b', 'My-Vol:/c'] } } });
    const names = byKind(translateDeployment(agent([m]), context).objects, 'PersistentVolumeClaim').map((p) => (p as { metadata: { name: string } }).metadata.name);
    expect(names).toHaveLength(3);
    expect(new Set(names).size).toBe(3);
    expect(names).toContain('my-vol');
  });

  it('gives registry credentials whose keys differ only in case distinct Secrets', () => {
    const creds = [
      { name: 'Reg', address: 'a.io', username: 'u', password: 'p' },
      { name: 'reg', address: 'b.io', username: 'u', password: 'p' },
    ];
    const names = byKind(translateDeployment(agent([], creds), context).objects, 'Secret').map((s) => (s as { metadata: { name: string } }).metadata.name);
    expect(names).toEqual([expect.stringMatching(/^edgemu-registry-reg-[0-9a-f]{8}$/), 'edgemu-registry-reg']);
  });

  it('refuses an empty device id or gateway', () => {
    expect(() => translateDeployment(agent([]), { ...context, deviceId: '' })).toThrow(expect.objectContaining({ code: 'TRANSLATE_INVALID_CONTEXT' }));
    expect(() => translateDeployment(agent([]), { ...context, gatewayHostName: ' ' })).toThrow(expect.objectContaining({ code: 'TRANSLATE_INVALID_CONTEXT' }));
  });

  it('makes one PVC per named volume, shared by the modules that name it', () => {
    const t = translateDeployment(
      agent([spec('a', { createOptions: { HostConfig: { Binds: ['shared:/s'] } } }), spec('b', { createOptions: { HostConfig: { Mounts: [{ Type: 'volume', Source: 'shared', Target: '/s' }] } } })]),
      { ...context, storage: { size: '5Gi', storageClassName: 'standard' } },
    );
    const pvcs = byKind(t.objects, 'PersistentVolumeClaim');
    expect(pvcs).toEqual([
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'shared', namespace: 'edgemu-edge-1', labels: { 'app.kubernetes.io/managed-by': 'edgemu', 'edgemu.io/device': 'edge-1' }, annotations: { 'edgemu.io/volume-name': 'shared' } },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'standard' },
      },
    ]);
  });

  it('gives every module a headless Service named after it, so its name resolves on any port as on IoT Edge’s Docker network', () => {
    const t = translateDeployment(agent([spec('quiet'), spec('web', { createOptions: { ExposedPorts: { '80/tcp': {} } } })]), context);
    const services = byKind<V1Service>(t.objects, 'Service');
    expect(services.map((s) => s.metadata!.name)).toEqual(['quiet', 'web']);
    expect(services[0]!.spec).toEqual({ clusterIP: 'None', selector: moduleLabelsOf(t, 'quiet'), publishNotReadyAddresses: true });
    expect(services[1]!.spec).toMatchObject({ clusterIP: 'None', ports: [{ name: 'tcp-80', port: 80, targetPort: 80, protocol: 'TCP' }] });
  });

  it('drops node ports when serviceOptions asks for ClusterIP', () => {
    const t = translateDeployment(
      agent([spec('web', { createOptions: { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '30080' }] } }, 'k8s-experimental': { serviceOptions: { type: 'ClusterIP' } } } })]),
      context,
    );
    expect(byKind<V1Service>(t.objects, 'Service')[0]!.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'tcp-80', port: 80, targetPort: 80, protocol: 'TCP' }] });
  });

  it('selects the Service to the module pod by the module labels', () => {
    const t = translateDeployment(agent([spec('web', { createOptions: { ExposedPorts: { '80/tcp': {} } } })]), context);
    const svc = byKind<V1Service>(t.objects, 'Service')[0]!;
    expect(svc.spec!.selector).toEqual(deploymentOf(t, 'web').spec!.selector!.matchLabels);
  });

  it('makes a dockerconfigjson Secret per registry credential and references the matching ones', () => {
    const t = translateDeployment(
      agent(
        [spec('a', { image: 'myacr.azurecr.io/team/a:1' }), spec('b', { image: 'b' }), spec('c', { image: 'other.io/c:1' })],
        [
          { name: 'acr', address: 'https://myacr.azurecr.io/', username: 'u', password: 'p' },
          { name: 'docker_hub', address: 'index.docker.io', username: 'me', password: 'pw' },
        ],
      ),
      context,
    );
    const secrets = byKind<V1Secret>(t.deviceObjects, 'Secret');
    expect(secrets.map((s) => [s.metadata!.name, s.type])).toEqual([
      ['edgemu-registry-acr', 'kubernetes.io/dockerconfigjson'],
      [expect.stringMatching(/^edgemu-registry-docker-hub-[0-9a-f]{8}$/), 'kubernetes.io/dockerconfigjson'],
    ]);
    expect(JSON.parse(Buffer.from(secrets[0]!.data!['.dockerconfigjson']!, 'base64').toString())).toEqual({
      auths: { 'https://myacr.azurecr.io/': { username: 'u', password: 'p', auth: Buffer.from('u:p').toString('base64') } },
    });
    expect(deploymentOf(t, 'a').spec!.template.spec!.imagePullSecrets).toEqual([{ name: 'edgemu-registry-acr' }]);
    expect(deploymentOf(t, 'b').spec!.template.spec!.imagePullSecrets).toEqual([{ name: secrets[1]!.metadata!.name }]);
    expect(deploymentOf(t, 'c').spec!.template.spec!.imagePullSecrets).toBeUndefined();
  });

  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['MyAcr.azurecr.io', 'myacr.azurecr.io'],
    ['http://localhost:5000/', 'localhost:5000'],
  ])('normalizes the registry address %s to %s', (address, expected) => {
    expect(normalizeRegistryAddress(address)).toBe(expected);
  });

  it('orders modules by startupOrder, then name', () => {
    const t = translateDeployment(agent([spec('z', { startupOrder: 1 }), spec('a', { startupOrder: 2 }), spec('b', { startupOrder: 1 })]), context);
    expect(t.modules.map((m) => m.name)).toEqual(['b', 'z', 'a']);
  });

  it('turns a Healthcheck into a liveness probe', () => {
    const c = containerOf(translateDeployment(agent([spec('mod', { createOptions: { Healthcheck: { Test: ['CMD', 'true'] } } })]), context), 'mod');
    expect(c.livenessProbe).toEqual({ exec: { command: ['true'] }, periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 3 });
  });

  it('sets ClusterFirstWithHostNet DNS for host-network pods', () => {
    const pod = deploymentOf(translateDeployment(agent([spec('mod', { createOptions: { HostConfig: { NetworkMode: 'host' } } })]), context), 'mod').spec!.template.spec!;
    expect(pod).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
  });

  it('prefixes module warnings with the module name', () => {
    const t = translateDeployment(agent([spec('mod', { createOptions: { HostConfig: { LogConfig: { Type: 'syslog' } } } })]), context);
    expect(t.warnings).toContainEqual(expect.stringMatching(/^module mod: createOptions\.HostConfig\.LogConfig \(Type "syslog"\) is not applied/));
  });
});

describe('spec hash', () => {
  const hashOf = (m: ModuleSpec, ctx: TranslateContext = context) => translateDeployment(agent([m]), ctx).modules[0]!.specHash;

  it('does not change when only the desired status changes (start/stop, not an update)', () => {
    expect(hashOf(spec('mod', { status: 'stopped' }))).toBe(hashOf(spec('mod')));
  });

  it.each<[string, Partial<ModuleSpec>]>([
    ['image', { image: 'example/m:2.0' }],
    ['version', { version: '2.0' }],
    ['env', { env: { A: '1' } }],
    ['createOptions', { createOptions: { Cmd: ['x'] } }],
    ['restartPolicy', { restartPolicy: 'never' }],
    ['imagePullPolicy', { imagePullPolicy: 'never' }],
    ['startupOrder', { startupOrder: 1 }],
  ])('changes when %s changes', (_field, patch) => {
    expect(hashOf(spec('mod', patch))).not.toBe(hashOf(spec('mod')));
  });

  it('changes when the module key or the hub CA changes', () => {
    expect(hashOf(spec('mod'), { ...context, identities: { mod: { sharedAccessKey: 'b3RoZXI=' } } })).not.toBe(hashOf(spec('mod')));
    expect(hashOf(spec('mod'), { ...context, hubCaPem: 'other' })).not.toBe(hashOf(spec('mod')));
  });

  it('is on every module object and the pod template', () => {
    const t = translateDeployment(agent([spec('mod', { createOptions: { ExposedPorts: { '1/tcp': {} } } })]), context);
    for (const o of t.modules[0]!.objects) expect(o.metadata!.annotations![ANNOTATION_SPEC_HASH]).toBe(t.modules[0]!.specHash);
    expect(t.modules[0]!.deployment.spec!.template.metadata!.annotations![ANNOTATION_SPEC_HASH]).toBe(t.modules[0]!.specHash);
  });
});

// ---------------------------------------------------------------------------------------------
// Golden files: the full output for each fixture manifest. Regenerate with UPDATE_GOLDEN=1.

const fixtures = readdirSync(here('./fixtures')).filter((f) => f.endsWith('.deployment.json'));
const goldenContext: TranslateContext = { ...context, identities: { viewer: { sharedAccessKey: 'a2V5', generationId: 'gen-viewer' } } };

describe.each(fixtures)('golden output of %s', (file) => {
  const load = () => {
    const result = parseManifestText(readFileSync(here(`./fixtures/${file}`), 'utf8'));
    if (result.status !== 200) throw new Error(`fixture ${file} is invalid: ${JSON.stringify(result.errors)}`);
    return translateDeployment(result.value.edgeAgent, goldenContext);
  };

  it.each(['yaml', 'json'] as const)('matches the %s golden file', (format) => {
    const t = load();
    const text = `${renderObjects(t.objects, format)}${format === 'yaml' ? `# warnings:\n${t.warnings.map((w) => `# ${w}`).join('\n')}\n` : ''}`;
    const golden = here(`./golden/${file.replace('.deployment.json', `.${format}`)}`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, text);
    expect(existsSync(golden), `${golden} is missing: run UPDATE_GOLDEN=1 npx vitest run test/unit/translate`).toBe(true);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  it('reads back from YAML — parsed as YAML 1.1, as kubectl does — to exactly the objects', () => {
    const t = load();
    const docs = parseAllDocuments(renderObjects(t.objects, 'yaml'), { version: '1.1' }).map((d) => d.toJS());
    expect(docs).toEqual(JSON.parse(JSON.stringify(t.objects)));
  });

  it('is byte-identical on every run', () => {
    expect(renderObjects(load().objects, 'yaml')).toBe(renderObjects(load().objects, 'yaml'));
    expect(renderObjects(load().objects, 'json')).toBe(renderObjects(load().objects, 'json'));
  });
});

describe('examples in deployments/examples', () => {
  const dir = here('../../../deployments/examples');
  const examples = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('exist', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples)('%s translates deterministically', (file) => {
    const result = parseManifestText(readFileSync(`${dir}/${file}`, 'utf8'));
    expect(result.status).toBe(200);
    const a = translateDeployment(result.value!.edgeAgent, context);
    const b = translateDeployment(structuredClone(result.value!.edgeAgent), { ...context });
    expect(renderObjects(a.objects, 'yaml')).toBe(renderObjects(b.objects, 'yaml'));
  });
});
