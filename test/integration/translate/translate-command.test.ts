import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { openHubStore } from '../../../runtime/hub/index.js';

/**
 * `edgemu translate` as a user runs it, in process: output on stdout only, warnings on stderr,
 * module keys read from a hub store in the state dir without creating anything, exit codes 0/1/2.
 */

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const EXAMPLE = here('../../../deployments/examples/temperature-filter.deployment.json');
const CA = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';

const run = (argv: string[]) => runCli(argv);

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'edgemu-translate-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const secretValue = (docs: Record<string, unknown>[], name: string): string => {
  const secret = docs.find((d) => d.kind === 'Secret' && (d.metadata as { name: string }).name === name) as { data: Record<string, string> };
  return Buffer.from(secret.data.connectionString!, 'base64').toString();
};

describe('edgemu translate', () => {
  it('prints multi-document YAML with placeholders and warnings when there is no hub state', async () => {
    const stateDir = path.join(root, 'empty');
    const r = await run(['--state-dir', stateDir, 'translate', EXAMPLE, '--device', 'edge-1', '--gateway-host', '172.18.0.1']);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.out).map((d) => d.toJS() as Record<string, unknown>);
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'ConfigMap', 'ServiceAccount', 'Secret', 'Service', 'Deployment', 'ServiceAccount', 'Secret', 'Service', 'Deployment']);
    expect(secretValue(docs, 'edgemu-identity-filter')).toMatch(/^HostName=localhost;DeviceId=edge-1;ModuleId=filter;SharedAccessKey=EDGEMU-PLACEHOLDER-.*;GatewayHostName=172\.18\.0\.1$/);
    expect(r.err).toContain('warning: no hub state in');
    expect(r.err).toContain('warning: module filter: no identity key is known for this module');
    expect(r.err).toContain('warning: no hub CA was given');
    expect(r.out).not.toContain('warning');
    // Read-only: translating never creates a state dir.
    expect(readdirSync(root)).not.toContain('empty');
  });

  it('uses the module keys, hub address and CA of the state dir', async () => {
    const stateDir = path.join(root, 'hub');
    const store = openHubStore({ stateDir });
    const keys: Record<string, string> = {};
    try {
      store.identities.createDevice('edge-1', { edge: true });
      for (const m of ['filter', 'SimulatedTemperatureSensor']) keys[m] = store.identities.createModule('edge-1', m).primaryKey;
    } finally {
      store.close();
    }
    writeFileSync(path.join(stateDir, 'ca.pem'), CA);
    const r = await run(['--state-dir', stateDir, 'translate', EXAMPLE, '--device', 'edge-1', '--gateway-host', '10.0.0.2:30883', '-o', 'json']);
    expect(r.code, r.err).toBe(0);
    const list = JSON.parse(r.out) as { apiVersion: string; kind: string; items: Record<string, unknown>[] };
    expect(list.apiVersion).toBe('v1');
    expect(list.kind).toBe('List');
    expect(secretValue(list.items, 'edgemu-identity-filter')).toBe(`HostName=localhost;DeviceId=edge-1;ModuleId=filter;SharedAccessKey=${keys.filter};GatewayHostName=10.0.0.2:30883`);
    expect(list.items.find((i) => i.kind === 'ConfigMap')).toMatchObject({ data: { 'ca.pem': CA } });
    expect(r.err).not.toContain('placeholder');
  });

  it('defaults the gateway to a name the running hub certificate carries, and flags one it does not', async () => {
    const stateDir = path.join(root, 'running');
    openHubStore({ stateDir }).close();
    // What `edgemu hub --host localhost 10.9.8.7 --mqtts-port 30883` records for clients (pid: alive).
    const discovery = { pid: process.pid, hostName: 'localhost', hostNames: ['localhost', '10.9.8.7'], mqttsPort: 30883, caFile: path.join(stateDir, 'ca.pem'), startedAt: new Date(0).toISOString() };
    writeFileSync(path.join(stateDir, 'hub.json'), JSON.stringify(discovery));
    const byDefault = await run(['--state-dir', stateDir, 'translate', EXAMPLE, '--device', 'edge-1', '--json']);
    expect(byDefault.code).toBe(0);
    const env = (JSON.parse(byDefault.out) as { items: { kind: string; spec?: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }[] }).items
      .find((i) => i.kind === 'Deployment')!
      .spec!.template.spec.containers[0]!.env;
    expect(env.find((e) => e.name === 'IOTEDGE_GATEWAYHOSTNAME')!.value).toBe('10.9.8.7:30883');
    expect(byDefault.err).not.toContain('loopback');
    expect(byDefault.err).not.toContain('does not name');

    const other = await run(['--state-dir', stateDir, 'translate', EXAMPLE, '--device', 'edge-1', '--gateway-host', '192.168.1.5']);
    expect(other.code).toBe(0);
    expect(other.err).toContain("warning: the running hub's TLS certificate does not name 192.168.1.5, so modules will refuse the connection; restart the hub with --host localhost 10.9.8.7 192.168.1.5");
    expect(other.out).toContain('value: 192.168.1.5:30883');
  });

  it('--layout azure-stack-edge --hub-ip: namespace iotedge, IoT Edge labels, an edgehub LoadBalancer on the ports the running hub serves', async () => {
    const stateDir = path.join(root, 'ase');
    openHubStore({ stateDir }).close();
    // (No httpsPort: the CLI would then reach this pretend hub through its service API.)
    const discovery = { pid: process.pid, hostName: 'myhub.local', hostNames: ['myhub.local', 'edgehub'], mqttsPort: 30883, amqpsPort: 30671, caFile: path.join(stateDir, 'ca.pem'), startedAt: new Date(0).toISOString() };
    writeFileSync(path.join(stateDir, 'hub.json'), JSON.stringify(discovery));
    const r = await run(['--state-dir', stateDir, 'translate', EXAMPLE, '--device', 'Edge-1', '--layout', 'azure-stack-edge', '--hub-ip', '10.88.0.1']);
    expect(r.code, r.err).toBe(0);
    type Doc = { kind: string; metadata: { name: string; namespace?: string; labels: Record<string, string> }; spec?: Record<string, unknown> };
    const docs = parseAllDocuments(r.out).map((d) => d.toJS() as Doc);
    expect(new Set(docs.map((d) => d.metadata.namespace ?? d.metadata.name))).toEqual(new Set(['iotedge']));
    expect(docs.filter((d) => d.kind === 'Deployment').map((d) => [d.metadata.name, d.metadata.labels])).toEqual(
      ['filter', 'simulatedtemperaturesensor'].map((m) => [
        m,
        { 'app.kubernetes.io/managed-by': 'edgemu', 'net.azure-devices.edge.deviceid': 'edge-1', 'net.azure-devices.edge.module': m, 'net.azure-devices.edge.hub': 'myhub' },
      ]),
    );
    const edgehub = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'edgehub')!;
    expect(edgehub.spec).toEqual({
      type: 'LoadBalancer',
      ports: [
        { name: 'amqps', port: 5671, targetPort: 30671, protocol: 'TCP' },
        { name: 'mqtts', port: 8883, targetPort: 30883, protocol: 'TCP' },
      ],
    });
    expect(docs.filter((d) => d.metadata.name === 'edgeagent').map((d) => d.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding']);
    expect(r.out).toContain('value: edgehub');
    // Pods dial edgehub, which the running hub's certificate names: no gateway or certificate warnings.
    expect(r.err).not.toContain('loopback');
    expect(r.err).not.toContain('does not name');

    const noIp = await run(['--state-dir', stateDir, 'translate', EXAMPLE, '--device', 'edge-1', '--layout', 'azure-stack-edge']);
    expect(noIp.code).toBe(0);
    expect(noIp.err).toContain('warning: layout azure-stack-edge: without --hub-ip (the host address pods reach the hub on) there is no edgehub Service');
    expect(noIp.out).not.toContain('name: edgehub\n');
  });

  it.each([
    [['--layout', 'ase'], '--layout "ase" is not a layout (default, azure-stack-edge)'],
    [['--hub-ip', 'edgehub'], '--hub-ip "edgehub" is not an IPv4 address'],
  ])('exits 2 for %j', async (flags, message) => {
    const r = await run(['--state-dir', path.join(root, 'empty-2'), 'translate', EXAMPLE, '--device', 'edge-1', ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });

  it('names the missing identities and how to create them', async () => {
    const stateDir = path.join(root, 'partial');
    const store = openHubStore({ stateDir });
    store.identities.createDevice('edge-1', { edge: true });
    store.close();
    const r = await run(['--state-dir', stateDir, 'translate', EXAMPLE, '--device', 'edge-1']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('create it with: edgemu identity create edge-1 --module filter');
  });

  it('exits 1 with the problems of an invalid manifest', async () => {
    const bad = path.join(root, 'bad.json');
    writeFileSync(bad, '{"modulesContent": {}}');
    const r = await run(['--state-dir', path.join(root, 'none'), 'translate', bad, '--device', 'edge-1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is not a valid deployment/);
    expect(r.out).toBe('');
  });

  it('exits 1 when the manifest names an env var Kubernetes refuses', async () => {
    const file = path.join(root, 'env.json');
    const doc = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(EXAMPLE, 'utf8'))) as { modulesContent: { $edgeAgent: { 'properties.desired': { modules: Record<string, { settings: { createOptions: string } }> } } } };
    doc.modulesContent.$edgeAgent['properties.desired'].modules.filter!.settings.createOptions = JSON.stringify({ Env: ['BAD\tNAME=x'] });
    writeFileSync(file, JSON.stringify(doc));
    const r = await run(['--state-dir', path.join(root, 'none'), 'translate', file, '--device', 'edge-1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Kubernetes cannot take the env var name "BAD\\tNAME"');
  });

  it('exits 1 when --ca is not a PEM certificate', async () => {
    const notPem = path.join(root, 'not.pem');
    writeFileSync(notPem, 'hello');
    const r = await run(['--state-dir', path.join(root, 'none'), 'translate', EXAMPLE, '--device', 'edge-1', '--ca', notPem]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not a PEM certificate');
  });

  it('exits 1 with a clear message when the hub store is not a database', async () => {
    const stateDir = path.join(root, 'corrupt');
    mkdirSync(stateDir);
    writeFileSync(path.join(stateDir, 'hub.db'), 'this is not sqlite'.repeat(100));
    const r = await run(['--state-dir', stateDir, 'translate', EXAMPLE, '--device', 'edge-1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot read the hub store ${path.join(stateDir, 'hub.db')}`);
  });

  it('exits 1 when --ca is a directory or too large to be a CA', async () => {
    const big = path.join(root, 'big.pem');
    writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 'A'));
    for (const ca of [root, big]) {
      const r = await run(['--state-dir', path.join(root, 'none'), 'translate', EXAMPLE, '--device', 'edge-1', '--ca', ca]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`cannot read the hub CA ${ca}`);
    }
  });

  it.each([
    [['translate', EXAMPLE]],
    [['translate', EXAMPLE, '--device', 'edge-1', '-o', 'xml']],
    [['translate', '--device', 'edge-1']],
  ])('exits 2 on bad usage: %j', async (argv) => {
    expect((await run(['--state-dir', path.join(root, 'none'), ...argv])).code).toBe(2);
  });

  it.each([
    [['--device', 'bad/dev'], '--device "bad/dev" is not a valid IoT Hub device id'],
    [['--device', 'edge-1', '--gateway-host', 'a b'], '--gateway-host "a b" is not a host name'],
    [['--device', 'edge-1', '--volume-size', 'lots'], '--volume-size "lots" is not a positive Kubernetes quantity'],
    [['--device', 'edge-1', '--storage-class', 'Fast SSD'], '--storage-class "Fast SSD"'],
  ])('exits 2 naming the flag, and prints no objects, for unusable input: %j', async (flags, message) => {
    const r = await run(['--state-dir', path.join(root, 'none'), 'translate', EXAMPLE, ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });
});
