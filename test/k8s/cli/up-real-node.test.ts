import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../runtime/cli/main.js';
import { clusterDir, readClusterNodeInfo } from '../../../runtime/cluster/index.js';
import { deviceNamespace } from '../../../runtime/translate/index.js';
import { eventually } from '../../helpers/k8s.js';
import { leftovers } from '../cluster/real-node-host.js';

// `npm start` as a new user runs it (README "What `npm start` shows"): `edgemu up` starts its own
// local cluster with a real node (docs/cluster.md "The real node"), builds the sample images,
// deploys the sample manifest, and the pods' telemetry arrives upstream through the routes.
const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-up-real-'));
const deviceId = 'edge-1';
let up: Promise<{ code: number; out: string; err: string }> | undefined;
const stopUp = new AbortController();

afterAll(async () => {
  stopUp.abort();
  await up?.catch(() => undefined);
  rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

function cli(argv: string[], signal = AbortSignal.abort()) {
  const io = { out: '', err: '' };
  const done = main(['--state-dir', stateDir, '--log-level', 'silent', ...argv], { out: (s) => void (io.out += s), err: (s) => void (io.err += s), shutdownSignal: signal });
  return { io, done: done.then((code) => ({ code, ...io })) };
}

describe('edgemu up on a local cluster with a real node', () => {
  it('runs the sample modules in containers on the real node, and their telemetry arrives upstream', async () => {
    const started = cli(['up', '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--deployment', 'deployments/examples/temperature-filter.deployment.json', '--device', deviceId], stopUp.signal);
    up = started.done;
    const reported = await eventually(
      async () => {
        const s = await cli(['status', '--device', deviceId, '--json']).done;
        if (s.code !== 0) return undefined;
        const r = JSON.parse(s.out) as { lastDesiredStatus?: { code: number }; modules?: Record<string, { runtimeStatus: string; runsOn?: string }> };
        const ok = r.lastDesiredStatus?.code === 200 && ['filter', 'SimulatedTemperatureSensor'].every((m) => r.modules?.[m]?.runtimeStatus === 'running');
        return ok ? r : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 1000, what: 'edgemu up running the sample modules on the real node' },
    );
    expect(reported.modules?.filter?.runsOn).toBe('real');
    expect(reported.modules?.SimulatedTemperatureSensor?.runsOn).toBe('real');
    expect(started.io.err).toMatch(/image edgemu\/filter:0\.1\.0: .*(imported|already on the node)/);

    // The pods are on the real node of the cluster `up` started.
    const info = readClusterNodeInfo(clusterDir(stateDir, 'edgemu'));
    expect(info?.nodes).toBe('real');
    const kc = new KubeConfig();
    kc.loadFromFile(path.join(clusterDir(stateDir, 'edgemu'), 'kubeconfig'));
    const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: deviceNamespace(deviceId) });
    const running = pods.items.filter((p) => p.status?.phase === 'Running');
    expect(running.length).toBeGreaterThanOrEqual(2);
    for (const p of running) expect(p.spec?.nodeName).toBe(info?.nodes === 'real' ? info.realNode : '?');

    // Telemetry the sensor pod sent, through the filter pod, arrives upstream (route filterToIoTHub).
    const stopMonitor = new AbortController();
    const monitor = cli(['monitor', '--device', deviceId], stopMonitor.signal);
    const line = await eventually(async () => monitor.io.out.split('\n').find((l) => l.includes(`${deviceId}/filter output output1`)), {
      timeoutMs: 60_000,
      what: 'a message from the filter pod upstream',
    });
    stopMonitor.abort();
    await monitor.done;
    expect(JSON.parse(line.slice(line.indexOf('{'), line.lastIndexOf('}') + 1))).toMatchObject({ machine: { temperature: expect.any(Number) }, ambient: { humidity: expect.any(Number) } });

    stopUp.abort();
    const result = await up;
    expect(result.code).toBe(0);
    expect(result.out).toContain('modules run on the real node');
    expect(result.out).toContain('edgemu up stopped');
    // Ctrl-C took down the cluster `up` started, real node included.
    const left = leftovers(clusterDir(stateDir, 'edgemu'), 'edgemu');
    expect({ processes: left.processes, mounts: left.mounts, bridge: left.bridge, cgroups: left.cgroups }).toEqual({ processes: [], mounts: [], bridge: false, cgroups: [] });
  }, 900_000);
});
