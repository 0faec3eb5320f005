import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { hostModuleLogPaths, openHostModuleLog } from '../../../runtime/module-run/index.js';
import { startServer } from '../../../runtime/server/start-server.js';
import { deadCluster } from '../../helpers/dead-cluster.js';
import { eventually } from '../../helpers/k8s.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function stateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-logs-cli-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const run = (argv: string[]) => runCli(argv);

describe('edgemu logs', () => {
  it('shows the output of a module that `edgemu module run` runs, filtered like GetModuleLogs', async () => {
    const dir = stateDir();
    // This test process stands in for the `module run` process (its pid is alive).
    const log = openHostModuleLog(hostModuleLogPaths(dir, 'edge-1', 'sensor'), process.pid);
    cleanups.push(() => log.close());
    for (let i = 0; i < 5; i++) log.line(`<${i % 2 === 0 ? 6 : 4}> 2026-12-02 01:00:0${i}.000 +00:00 [INF] reading ${i}\n`);
    const tail = await run(['--state-dir', dir, 'logs', 'sensor', '--device', 'edge-1', '--tail', '3']);
    expect(tail.code).toBe(0);
    expect(tail.out.trimEnd().split('\n')).toEqual([
      '<6> 2026-12-02T01:00:02.000Z [INF] reading 2',
      '<4> 2026-12-02T01:00:03.000Z [INF] reading 3',
      '<6> 2026-12-02T01:00:04.000Z [INF] reading 4',
    ]);
    const warnings = await run(['--state-dir', dir, 'logs', 'sensor', '--device', 'edge-1', '--loglevel', '4', '--json']);
    expect(warnings.out.trimEnd().split('\n').map((l) => JSON.parse(l).text)).toEqual(['[INF] reading 1', '[INF] reading 3']);
  });

  it('refuses a bad flag with a usage error naming it (exit 2)', async () => {
    const r = await run(['--state-dir', stateDir(), 'logs', 'sensor', '--device', 'edge-1', '--tail', 'many']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--tail: must be an integer');
  });

  it('asks the agent through the running hub and says why there is no log (exit 1)', async () => {
    const dir = stateDir();
    const server = await startServer({ stateDir: dir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger(), kubeConfig: await deadCluster() });
    cleanups.push(() => server.close());
    server.ensureEdgeDevice('edge-1');
    await server.agents!.scan();
    await eventually(async () => server.hub.isConnected({ deviceId: 'edge-1', moduleId: '$edgeAgent' }), { timeoutMs: 15_000, what: '$edgeAgent connected' });
    const r = await run(['--state-dir', dir, 'logs', 'sensor', '--device', 'edge-1', '--tail', '3']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/GetModuleLogs answered 500: .*Kubernetes API/);
  });
});
