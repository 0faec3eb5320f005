import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { eventually, kubeConfig, kubeconfigPath } from '../../helpers/k8s.js';
import { apiServerWatches, deleteDeviceNamespace } from './agent-harness.js';

const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-fleet-k8s-'));
const run = randomBytes(3).toString('hex');
const prefix = `fleet-${run}-`;
// Enough devices that the shared watches carry many namespaces at once (48 pods) while the test stays under a minute.
const N = 24;
// `up` pads the numbers to the width of N (docs/agent.md "Many devices")
const deviceIds = Array.from({ length: N }, (_, i) => `${prefix}${String(i + 1).padStart(String(N).length, '0')}`);
const later = `${prefix}late`;

afterAll(async () => {
  const kc = kubeConfig();
  await Promise.all([...deviceIds, later].map((d) => deleteDeviceNamespace(kc, d)));
  rmSync(stateDir, { recursive: true, force: true });
});

const cli = (argv: string[], signal = AbortSignal.abort()) => runCli(['--state-dir', stateDir, '--log-level', 'silent', ...argv], signal);

const statusOf = async (deviceId: string) => {
  const s = await cli(['status', '--device', deviceId, '--json']);
  return s.code === 0 ? (JSON.parse(s.out) as { lastDesiredStatus?: { code: number }; modules?: Record<string, { runtimeStatus: string }> }) : undefined;
};
const allRunning = (r: Awaited<ReturnType<typeof statusOf>>, modules: string[]) => r?.lastDesiredStatus?.code === 200 && modules.every((m) => r.modules?.[m]?.runtimeStatus === 'running');

describe('edgemu up --devices N: a fleet of edge devices, one agent each, in one process', () => {
  it('creates the tagged devices, an automatic deployment reaches all of them, and the watches do not grow with N', async () => {
    const before = await apiServerWatches(kubeConfig());
    const stop = new AbortController();
    const up = cli(
      ['up', '--kubeconfig', kubeconfigPath(), '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--bind', '127.0.0.1', '--devices', String(N), '--device-prefix', prefix, '--tags', JSON.stringify({ fleet: run })],
      stop.signal,
    );
    try {
      // The hub is up once the CLI can reach it; the devices exist and carry their tags.
      const listed = await eventually(async () => {
        const r = await cli(['query', `SELECT deviceId FROM devices WHERE tags.fleet = '${run}'`, '--json']);
        const rows = r.code === 0 ? (JSON.parse(r.out) as Array<{ deviceId: string }>) : [];
        return rows.length === N ? rows : undefined;
      }, { timeoutMs: 60_000, what: `${N} tagged devices` });
      expect(listed.map((r) => r.deviceId).sort()).toEqual([...deviceIds].sort());

      const created = await cli(['deployment', 'create', `fleet-${run}`, '--content', 'deployments/examples/temperature-filter.deployment.json', '--target-condition', `tags.fleet='${run}'`, '--priority', '5']);
      expect(created.err).toBe('');
      expect(created.code).toBe(0);
      // Every device's agent reports the modules running, and the deployment's metrics count all of them.
      const metrics = await eventually(async () => {
        const shown = await cli(['deployment', 'show', `fleet-${run}`, '--json']);
        const results = (JSON.parse(shown.out) as { systemMetrics: { results: Record<string, number> } }).systemMetrics.results;
        return results.reportedSuccessfulCount === N ? results : undefined;
      }, { timeoutMs: 120_000, intervalMs: 500, what: `reportedSuccessfulCount ${N}` });
      expect(metrics).toEqual({ targetedCount: N, appliedCount: N, reportedSuccessfulCount: N, reportedFailedCount: 0 });
      for (const d of deviceIds) {
        const r = await eventually(async () => {
          const s = await statusOf(d);
          return allRunning(s, ['SimulatedTemperatureSensor', 'filter']) ? s : undefined;
        }, { timeoutMs: 60_000, what: `${d} runs its modules` });
        expect(r.modules).toMatchObject({ SimulatedTemperatureSensor: { runtimeStatus: 'running' }, filter: { runtimeStatus: 'running' } });
      }

      // N agents, yet one more watch per kind than before up started, not N.
      const during = await apiServerWatches(kubeConfig());
      const added = (resource: string) => (during[resource] ?? 0) - (before[resource] ?? 0);
      expect(added('pods')).toBe(1);
      expect(added('deployments')).toBe(1);

      // One more tagged edge device while up runs: its agent starts, the deployment reaches it, and still no new watch.
      expect((await cli(['identity', 'create', later, '--edge'])).code).toBe(0);
      expect((await cli(['twin', 'patch', later, JSON.stringify({ tags: { fleet: run } })])).code).toBe(0);
      await eventually(async () => (allRunning(await statusOf(later), ['SimulatedTemperatureSensor', 'filter']) ? true : undefined), { timeoutMs: 60_000, what: `${later} runs its modules` });
      const after = await apiServerWatches(kubeConfig());
      expect((after.pods ?? 0) - (before.pods ?? 0)).toBe(1);
      expect((after.deployments ?? 0) - (before.deployments ?? 0)).toBe(1);
    } finally {
      stop.abort();
    }
    const result = await up;
    expect(result.code).toBe(0);
    expect(result.err).toMatch(new RegExp(`fleet: ${deviceIds[0]}, ${deviceIds[1]} … ${deviceIds[N - 1]} \\(${N} devices\\): ${N} IoT Edge devices created, 0 reused, tagged`));
    expect(result.out).toMatch(new RegExp(`edge agents\\s+${deviceIds[0]}, ${deviceIds[1]} … ${deviceIds[N - 1]} \\(${N} devices\\)`));
    expect(result.err).toMatch(new RegExp(`fleet: ${N} of ${N} devices report all modules running`));
  });
});
