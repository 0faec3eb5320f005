import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../runtime/cli/main.js';
import { startServer, type Server } from '../../../runtime/server/start-server.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';

describe('edgemu query, online through the running hub and offline on its store', () => {
  let dir: string;
  let stateDir: string;
  let server: Server | undefined;

  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(['--state-dir', stateDir, '--log-level', 'silent', ...args], {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
      shutdownSignal: new AbortController().signal,
    });
    return { code, out, err };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgemu-query-cli-'));
    stateDir = path.join(dir, 'state');
    server = await startServer({ stateDir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() });
    for (const [id, env] of [['gw-1', 'prod'], ['gw-2', 'prod'], ['gw-3', 'dev']] as const) {
      server.store.identities.createDevice(id, { edge: true });
      server.store.twins.update({ deviceId: id }, { tags: { env } });
    }
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a table of twins and of groups', async () => {
    const twins = await cli('query', "SELECT * FROM devices WHERE tags.env = 'prod'");
    expect(twins.code).toBe(0);
    expect(twins.out.split('\n')[0]).toMatch(/^DEVICE\s+STATUS\s+CONNECTION\s+TAGS$/);
    expect(twins.out).toMatch(/gw-1\s+enabled\s+Disconnected\s+\{"env":"prod"\}/);
    expect(twins.out).not.toContain('gw-3');
    const groups = await cli('query', 'SELECT tags.env AS env, COUNT() AS n FROM devices GROUP BY tags.env');
    expect(groups.out).toBe('ENV   N\nprod  2\ndev   1\n');
  });

  it('prints JSON and stops after --max items', async () => {
    const r = await cli('query', "SELECT deviceId, moduleId FROM devices.modules WHERE moduleId = '$edgeHub'", '--json', '--max', '2');
    expect(JSON.parse(r.out)).toEqual([
      { deviceId: 'gw-1', moduleId: '$edgeHub' },
      { deviceId: 'gw-2', moduleId: '$edgeHub' },
    ]);
  });

  it('names the syntax error and its position, exit code 1', async () => {
    const r = await cli('query', 'SELECT * FROM devices WHERE tags.env =');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Syntax error in the query at line 1, column 39 \(position 38\)/);
  });

  it('runs on the store when no hub runs there', async () => {
    await server!.close();
    server = undefined;
    const r = await cli('query', 'SELECT COUNT() AS n FROM devices', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([{ n: 3 }]);
  });
});
