import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../runtime/cli/main.js';
import { parseConnectionString } from '../../../runtime/hub/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgemu-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(['--state-dir', dir, '--log-level', 'silent', ...argv], {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    shutdownSignal: new AbortController().signal,
  });
  return { code, out, err };
}

describe('edgemu identity and connection-string', () => {
  it('creates an edge device with its system modules and prints its connection string', async () => {
    const r = await run('identity', 'create', 'gw1', '--edge');
    expect(r.code).toBe(0);
    expect(r.out).toContain('created IoT Edge device gw1');
    expect(r.out).toContain('created module gw1/$edgeAgent');
    expect(r.out).toMatch(/connection string: HostName=localhost;DeviceId=gw1;SharedAccessKey=\S+=\n/);
  });

  it('adds a module to an existing device and lists everything as JSON', async () => {
    expect((await run('identity', 'create', 'gw1', '--module', 'sensor')).code).toBe(0);
    const r = await run('identity', 'list', '--json');
    const list = JSON.parse(r.out) as Array<{ deviceId: string; moduleId?: string }>;
    expect(list.map((i) => (i.moduleId ? `${i.deviceId}/${i.moduleId}` : i.deviceId))).toEqual(['gw1', 'gw1/$edgeAgent', 'gw1/$edgeHub', 'gw1/sensor']);
  });

  it('prints device, module and service connection strings the SDKs parse', async () => {
    const mod = parseConnectionString((await run('connection-string', '--device', 'gw1', '--module', 'sensor')).out);
    expect(mod).toMatchObject({ HostName: 'localhost', DeviceId: 'gw1', ModuleId: 'sensor' });
    const svc = parseConnectionString((await run('connection-string')).out);
    expect(svc).toMatchObject({ HostName: 'localhost:8443', SharedAccessKeyName: 'iothubowner' });
    expect((await run('connection-string', '--event-hubs')).out).toMatch(/^Endpoint=sb:\/\/localhost\/;SharedAccessKeyName=iothubowner;SharedAccessKey=\S+;EntityPath=localhost\n$/);
    expect(parseConnectionString((await run('connection-string', '--device', 'gw1', '--amqp')).out)).toMatchObject({ HostName: 'localhost', DeviceId: 'gw1' });
  });

  it('fails with exit code 1 for duplicates and unknown identities, 2 for bad usage', async () => {
    expect((await run('identity', 'create', 'gw1')).code).toBe(1);
    const missing = await run('connection-string', '--device', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('device nope does not exist');
    expect((await run('identity', 'delete', 'nope')).code).toBe(1);
    expect((await run('connection-string', '--module', 'x')).code).toBe(2);
    expect((await run('identity', 'create', 'bad/id')).code).toBe(1);
  });

  it('deletes a module and then the device', async () => {
    expect((await run('identity', 'delete', 'gw1', '--module', 'sensor')).code).toBe(0);
    expect((await run('identity', 'delete', 'gw1')).code).toBe(0);
    expect((await run('identity', 'list')).out).toBe('no identities\n');
  });
});

describe('several edgemu processes on one fresh state dir at once', () => {
  it('all succeed and nothing is lost or corrupted', async () => {
    const { execFile } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    const fresh = mkdtempSync(path.join(tmpdir(), 'edgemu-concurrent-'));
    try {
      const run = (args: string[]) =>
        new Promise<{ code: number; stderr: string }>((resolve) =>
          execFile(process.execPath, [path.join(repo, 'bin/edgemu.js'), '--state-dir', fresh, '--log-level', 'error', ...args], (error, _stdout, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
          ),
        );
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((d) => run(['identity', 'create', d, '--edge'])));
      expect(results).toEqual(Array.from({ length: 4 }, () => ({ code: 0, stderr: '' })));
      const { openHubStore } = await import('../../../runtime/hub/index.js');
      const store = openHubStore({ stateDir: fresh });
      try {
        expect(store.identities.list()).toHaveLength(12);
        expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        store.close();
      }
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
