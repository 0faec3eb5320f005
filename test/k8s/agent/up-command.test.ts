import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { eventually, kubeConfig, kubeconfigPath } from '../../helpers/k8s.js';
import { deleteDeviceNamespace, uniqueDevice } from './agent-harness.js';

const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-up-k8s-'));
const deviceId = uniqueDevice('up');
afterAll(async () => {
  await deleteDeviceNamespace(kubeConfig(), deviceId);
  rmSync(stateDir, { recursive: true, force: true });
});

const cli = (argv: string[], signal = AbortSignal.abort()) => runCli(['--state-dir', stateDir, '--log-level', 'silent', ...argv], signal);

describe('edgemu up and edgemu status', () => {
  it('starts hub, service API and agent on a cluster, deploys the example, shows it running, and stops on Ctrl-C', async () => {
    const stop = new AbortController();
    const up = cli(
      ['up', '--kubeconfig', kubeconfigPath(), '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--bind', '127.0.0.1', '--deployment', 'deployments/examples/temperature-filter.deployment.json', '--device', deviceId],
      stop.signal,
    );
    const reported = await eventually(
      async () => {
        const s = await cli(['status', '--device', deviceId, '--json']);
        if (s.code !== 0) return undefined;
        const r = JSON.parse(s.out) as { lastDesiredStatus?: { code: number }; modules?: Record<string, { runtimeStatus: string }> };
        return r.lastDesiredStatus?.code === 200 && r.modules?.filter?.runtimeStatus === 'running' && r.modules?.SimulatedTemperatureSensor?.runtimeStatus === 'running' ? r : undefined;
      },
      { timeoutMs: 40_000, what: 'status --json shows the modules running' },
    );
    expect(reported).toMatchObject({ schemaVersion: '1.0', systemModules: { edgeAgent: { runtimeStatus: 'running' } } });
    const table = await cli(['status', '--device', deviceId]);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^filter\s+running\s+running\s+(real|simulated|cluster)\s+0\s+0\s+\d{4}-/m);
    stop.abort();
    const result = await up;
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/MQTT over TLS\s+localhost:\d+/);
    expect(result.out).toMatch(/CA certificate\s+\S+ca\.pem/);
    expect(result.out).toContain('edgemu up stopped');
    expect(result.err).toMatch(/deployed .*temperature-filter.deployment.json/);
    expect(result.err).toMatch(new RegExp(`${deviceId}: deployment \\d+ status 200 — SimulatedTemperatureSensor running, filter running`));
  });
});
