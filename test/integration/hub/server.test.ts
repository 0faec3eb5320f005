import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../runtime/cli/main.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { startServer, type Server } from '../../../runtime/server/start-server.js';
import { readDiscovery } from '../../../runtime/hub/index.js';
import { ensureTlsMaterial } from '../../../runtime/hub/tls-material.js';

let dir: string;
let server: Server;

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(['--state-dir', dir, '--log-level', 'silent', ...argv], { out: (s) => void (out += s), err: (s) => void (err += s), shutdownSignal: new AbortController().signal });
  return { code, out, err };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgemu-server-'));
  server = await startServer({ stateDir: dir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', hostNames: ['edgemu.test'], logger: silentLogger() });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the server and the CLI against a running hub', () => {
  it('advertises itself in DIR/hub.json and refuses a second server on the same state dir', async () => {
    expect(readDiscovery(dir)).toMatchObject({ pid: process.pid, mqttsPort: server.mqttsPort, hostName: 'edgemu.test' });
    // a state dir whose hub.json names another live process (our parent) is taken
    const taken = mkdtempSync(path.join(tmpdir(), 'edgemu-taken-'));
    try {
      writeFileSync(path.join(taken, 'hub.json'), JSON.stringify({ pid: process.ppid, mqttsPort: 1, hostName: 'x', hostNames: [], caFile: '', startedAt: '' }));
      await expect(startServer({ stateDir: taken, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() })).rejects.toMatchObject({ code: 'SERVER_ALREADY_RUNNING' });
    } finally {
      rmSync(taken, { recursive: true, force: true });
    }
  });

  it('prints connection strings with the running hub’s host name and port', async () => {
    expect((await cli('identity', 'create', 'd1')).code).toBe(0);
    const r = await cli('connection-string', '--device', 'd1');
    expect(r.out).toMatch(new RegExp(`^HostName=edgemu\\.test:${server.mqttsPort};DeviceId=d1;SharedAccessKey=`));
  });

  it('administers identities and reads status through the service API while the hub runs', async () => {
    const created = await cli('identity', 'create', 'gw', '--edge', '--json');
    expect(created.code).toBe(0);
    const ids = JSON.parse(created.out) as Array<{ deviceId: string; moduleId?: string; isEdge: boolean; primaryKey: string; connectionString: string }>;
    expect(ids.map((i) => i.moduleId ?? i.deviceId)).toEqual(['gw', '$edgeAgent', '$edgeHub']);
    expect(ids[0]).toMatchObject({ isEdge: true, primaryKey: server.store.identities.get({ deviceId: 'gw' })!.primaryKey });
    expect((await cli('identity', 'create', 'gw', '--module', 'm1')).code).toBe(0);
    const list = JSON.parse((await cli('identity', 'list', '--device', 'gw', '--json')).out) as Array<{ moduleId?: string }>;
    expect(list.map((i) => i.moduleId ?? '-')).toEqual(['-', ...server.store.identities.listDevice('gw').filter((i) => i.moduleId).map((i) => i.moduleId)]);
    const service = await cli('connection-string');
    expect(service.out).toContain(`SharedAccessKey=${server.store.identities.servicePolicy().primaryKey}`);
    const status = await cli('status', '--device', 'gw', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toEqual({});
    const notEdge = await cli('status', '--device', 'd1');
    expect(notEdge.code).toBe(1);
    expect(notEdge.err).toContain('is not an IoT Edge device');
    expect((await cli('status', '--device', 'nope')).err).toContain('device nope does not exist');
    expect((await cli('identity', 'delete', 'gw', '--module', 'm1')).code).toBe(0);
    expect(server.store.identities.get({ deviceId: 'gw', moduleId: 'm1' })).toBeUndefined();
    expect((await cli('identity', 'delete', 'gw')).code).toBe(0);
    expect(server.store.identities.get({ deviceId: 'gw' })).toBeUndefined();
    expect((await cli('identity', 'delete', 'gw')).code).toBe(1);
  });

  it('module env and translate read the running hub through the service API (the module identity is created there)', async () => {
    expect((await cli('identity', 'create', 'gw2', '--edge')).code).toBe(0);
    const agentDesired = {
      schemaVersion: '1.1',
      runtime: { type: 'docker', settings: {} },
      systemModules: {
        edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5' } },
        edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5' } },
      },
      modules: { sensor: { version: '1.0', type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'example/sensor:1.0' }, env: { THRESHOLD: { value: '25' } } } },
    };
    server.store.twins.replaceDesired({ deviceId: 'gw2', moduleId: '$edgeAgent' }, agentDesired);
    const env = await cli('module', 'env', '--device', 'gw2', '--module', 'sensor', '--json');
    expect(env.code).toBe(0);
    const created = server.store.identities.get({ deviceId: 'gw2', moduleId: 'sensor' });
    expect(created).toBeDefined();
    const vars = JSON.parse(env.out) as Record<string, string>;
    expect(vars).toMatchObject({ THRESHOLD: '25', IOTEDGE_MODULEID: 'sensor', IOTEDGE_IOTHUBHOSTNAME: 'edgemu.test' });
    expect(vars.EdgeHubConnectionString).toContain(`SharedAccessKey=${created!.primaryKey}`);
    const manifest = path.join(dir, 'one-module.json');
    const edgeHubDesired = { schemaVersion: '1.1', routes: {}, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } };
    writeFileSync(manifest, JSON.stringify({ modulesContent: { $edgeAgent: { 'properties.desired': agentDesired }, $edgeHub: { 'properties.desired': edgeHubDesired } } }));
    const translated = await cli('translate', manifest, '--device', 'gw2', '--gateway-host', 'edgemu.test', '-o', 'json');
    expect(translated.code).toBe(0);
    const secret = (JSON.parse(translated.out) as { items: Array<{ kind: string; metadata: { name: string }; data?: Record<string, string> }> }).items.find((o) => o.kind === 'Secret' && o.metadata.name === 'edgemu-identity-sensor');
    expect(Buffer.from(secret?.data?.connectionString ?? '', 'base64').toString()).toContain(`SharedAccessKey=${created!.primaryKey}`);
  });

  it('sees identities created by the CLI at the next connect (no restart needed)', () => {
    expect(server.store.identities.get({ deviceId: 'd1' })).toBeDefined();
  });

  it('issued a server certificate for the extra host name, signed by DIR/ca.pem', () => {
    const cert = new X509Certificate(readFileSync(path.join(dir, 'server.pem')));
    expect(cert.subjectAltName).toContain('DNS:edgemu.test');
    expect(cert.checkIssued(new X509Certificate(readFileSync(path.join(dir, 'ca.pem'))))).toBe(true);
  });

  it('re-issues only the server certificate when a new host name is asked for', async () => {
    const ca = readFileSync(path.join(dir, 'ca.pem'), 'utf8');
    const again = await ensureTlsMaterial(dir, ['edgemu.test', 'other.test']);
    expect(again.caCert).toBe(ca);
    expect(new X509Certificate(again.serverCert).subjectAltName).toContain('DNS:other.test');
  });

  it('removes hub.json on close', async () => {
    await server.close();
    expect(existsSync(path.join(dir, 'hub.json'))).toBe(false);
    expect(readDiscovery(dir)).toBeUndefined();
  });
});

describe('edgemu hub', () => {
  it('runs in the foreground, prints where it listens, and stops cleanly on the shutdown signal', async () => {
    const own = mkdtempSync(path.join(tmpdir(), 'edgemu-hubcmd-'));
    const stop = new AbortController();
    let out = '';
    const done = main(['--state-dir', own, '--log-level', 'silent', 'hub', '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--bind', '127.0.0.1', '--json'], {
      out: (s) => void (out += s),
      err: () => {},
      shutdownSignal: stop.signal,
    });
    try {
      const end = Date.now() + 20_000;
      while (!out.includes('\n') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const summary = JSON.parse(out.split('\n')[0]!) as { mqttsPort: number; amqpsPort: number; caFile: string; pid: number };
      expect(summary.mqttsPort).toBeGreaterThan(0);
      expect(summary.amqpsPort).toBeGreaterThan(0);
      expect(readDiscovery(own)?.amqpsPort).toBe(summary.amqpsPort);
      expect(summary.caFile).toBe(path.join(own, 'ca.pem'));
      expect(readDiscovery(own)?.mqttsPort).toBe(summary.mqttsPort);
      stop.abort();
      expect(await done).toBe(0);
      expect(out).toContain('edgemu hub stopped');
      expect(existsSync(path.join(own, 'hub.json'))).toBe(false);
    } finally {
      stop.abort();
      await done;
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('fails with a clear message when the MQTT port is taken', async () => {
    const own = mkdtempSync(path.join(tmpdir(), 'edgemu-taken-port-'));
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const taken = (blocker.address() as { port: number }).port;
    let err = '';
    try {
      const code = await main(['--state-dir', own, '--log-level', 'silent', 'hub', '--mqtts-port', String(taken), '--amqps-port', '0', '--https-port', '0', '--bind', '127.0.0.1'], {
        out: () => {},
        err: (s) => void (err += s),
        shutdownSignal: new AbortController().signal,
      });
      expect(code).toBe(1);
      expect(err).toContain(`cannot listen on MQTT port ${taken}: EADDRINUSE`);
      expect(existsSync(path.join(own, 'hub.json'))).toBe(false);
    } finally {
      blocker.close();
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('exits 2 on a bad port', async () => {
    const r = await main(['hub', '--mqtts-port', 'abc'], { out: () => {}, err: () => {}, shutdownSignal: new AbortController().signal });
    expect(r).toBe(2);
  });
});
