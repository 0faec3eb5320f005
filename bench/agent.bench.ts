/**
 * Edge agent benchmark (docs/agent.md), on a fresh local cluster (KWOK nodes, real control plane):
 *  - deploy → every module reported `running` with lastDesiredStatus 200, for 10, 50 and 200
 *    modules (one startupOrder group), with the `$edgeAgent` twin held in memory so the figure
 *    is the agent + Kubernetes path; the same for 10 and 50 modules through the real embedded
 *    hub (MQTT twin, Azure IoT device SDK);
 *  - a no-op reconcile pass (read desired + cluster, diff, empty plan, empty report) at each size.
 * Aims from the issue: 50 modules < 15 s; no-op pass at 200 modules < 50 ms.
 * Usage: npm run bench -- agent   (EDGEMU_BENCH_SIZES=10,50 to limit sizes)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { AgentHost } from '../runtime/agent/agent-host.js';
import { ClientNodeKubeApi } from '../runtime/agent/kubernetes/client-node-kube-api.js';
import type { EdgeAgent } from '../runtime/agent/edge-agent.js';
import { systemClock } from '../runtime/clock.js';
import { startLocalCluster, stopLocalCluster } from '../runtime/cluster/local-cluster.js';
import { startHub } from '../runtime/hub/start-hub.js';
import { openHubStore } from '../runtime/hub/store/hub-store.js';
import { silentLogger } from '../runtime/log/create-logger.js';
import { applyConfigurationContent } from '../runtime/service-api/apply-configuration.js';
import { deviceNamespace } from '../runtime/translate/labels.js';
import { MemoryTwin, memoryTwinAgent } from '../test/k8s/agent/agent-harness.js';

const sizes = (process.env.EDGEMU_BENCH_SIZES ?? '10,50,200').split(',').map(Number);
const NOOP_PASSES = 30;

function agentDesired(n: number): Record<string, unknown> {
  const modules: Record<string, unknown> = {};
  for (let i = 0; i < n; i += 1) {
    modules[`m${String(i).padStart(3, '0')}`] = { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'e/m:1' } };
  }
  return {
    schemaVersion: '1.1',
    runtime: { type: 'docker', settings: {} },
    systemModules: {
      edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5' } },
      edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5' } },
    },
    modules,
  };
}

const allRunning = (reported: Record<string, unknown> | undefined, n: number): boolean => {
  const r = reported as { lastDesiredStatus?: { code?: number }; modules?: Record<string, { runtimeStatus?: string }> } | undefined;
  if (r?.lastDesiredStatus?.code !== 200 || !r.modules) return false;
  const mods = Object.values(r.modules);
  return mods.length === n && mods.every((m) => m.runtimeStatus === 'running');
};

async function until(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function noopPasses(agent: EdgeAgent): Promise<{ median: number; p95: number }> {
  await agent.loop.stop();
  const times: number[] = [];
  for (let i = 0; i < NOOP_PASSES; i += 1) {
    const t = performance.now();
    const result = await agent.agent.reconcileOnce(new AbortController().signal);
    times.push(performance.now() - t);
    if (result.planLength !== 0) throw new Error(`no-op pass planned ${result.planLength} commands`);
  }
  return { median: pct(times, 50), p95: pct(times, 95) };
}

const root = mkdtempSync(path.join(tmpdir(), 'edgemu-agent-bench-'));
const clusterStart = Date.now();
const { state } = await startLocalCluster({ name: 'edgemu-bench', dir: path.join(root, 'cluster'), nodes: 3, ownerPid: process.pid });
process.stdout.write(`local cluster (3 KWOK nodes) ready in ${((Date.now() - clusterStart) / 1000).toFixed(1)} s\n\n`);
const kc = new KubeConfig();
kc.loadFromFile(state.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
/** Deletes a namespace and waits until it is gone, so its teardown does not load the next measurement. */
async function deleteAndWait(name: string): Promise<void> {
  await core.deleteNamespace({ name }).catch(() => undefined);
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    try {
      await core.readNamespace({ name });
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const rows: string[][] = [['modules', 'path', 'deploy → all running (s)', 'no-op pass median (ms)', 'no-op pass p95 (ms)']];

try {
  for (const n of sizes) {
    const deviceId = `bench-mem-${n}`;
    const twin = new MemoryTwin({});
    const agent = memoryTwinAgent(kc, deviceId, twin);
    agent.start();
    await until(() => (twin.reported.lastDesiredStatus as { code?: number } | undefined)?.code === 417, 10_000, 'agent idle');
    const t0 = performance.now();
    twin.setDesired(agentDesired(n));
    await until(() => allRunning(twin.reported, n), 180_000, `${n} modules running`);
    const deploySeconds = (performance.now() - t0) / 1000;
    const noop = await noopPasses(agent);
    await agent.stop();
    rows.push([String(n), 'in-memory twin', deploySeconds.toFixed(2), noop.median.toFixed(1), noop.p95.toFixed(1)]);
    process.stdout.write(`${n} modules (in-memory twin): ${deploySeconds.toFixed(2)} s to all running; no-op pass median ${noop.median.toFixed(1)} ms\n`);
    await deleteAndWait(deviceNamespace(deviceId));
  }

  // Through the embedded hub: the agent reads and reports over MQTT like any module. The hub
  // keeps IoT Hub's 32 KB limit per twin section, which the reported state of 200 modules exceeds.
  const hubDir = path.join(root, 'hub');
  mkdirSync(hubDir, { recursive: true });
  const hubStore = openHubStore({ stateDir: hubDir });
  const hub = await startHub({ stateDir: hubDir, bindAddress: '127.0.0.1', mqttsPort: 0, store: hubStore });
  const hubSizes = sizes.filter((n) => n <= 50);
  for (const n of hubSizes) hub.store.identities.createDevice(`bench-hub-${n}`, { edge: true });
  const host = new AgentHost({ store: hub.store, hub: { hostName: 'localhost', mqttsPort: hub.mqttsPort, caCert: hub.caCert }, kube: new ClientNodeKubeApi(kc), clock: systemClock, logger: silentLogger() });
  host.start();
  try {
    for (const n of hubSizes) {
      const deviceId = `bench-hub-${n}`;
      const reported = () => hub.store.twins.get({ deviceId, moduleId: '$edgeAgent' })?.properties.reported as Record<string, unknown> | undefined;
      await until(() => (reported()?.lastDesiredStatus as { code?: number } | undefined)?.code === 417, 20_000, 'hub agent idle');
      const t0 = performance.now();
      const outcome = applyConfigurationContent(hub.store, deviceId, {
        modulesContent: { $edgeAgent: { 'properties.desired': agentDesired(n) }, $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: {}, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } } },
      });
      if (!outcome.applied) throw new Error(`deploy refused: ${JSON.stringify(outcome.errors)}`);
      await until(() => allRunning(reported(), n), 180_000, `${n} modules running via hub`);
      const deploySeconds = (performance.now() - t0) / 1000;
      const noop = await noopPasses(host.agentFor(deviceId)!);
      rows.push([String(n), 'embedded hub (MQTT)', deploySeconds.toFixed(2), noop.median.toFixed(1), noop.p95.toFixed(1)]);
      process.stdout.write(`${n} modules (hub): ${deploySeconds.toFixed(2)} s to all running; no-op pass median ${noop.median.toFixed(1)} ms\n`);
    }
  } finally {
    await host.stop();
    await hub.close();
    hubStore.close();
  }
} finally {
  await stopLocalCluster(path.join(root, 'cluster'));
  rmSync(root, { recursive: true, force: true });
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
process.stdout.write(`\n${rows.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`).join('\n')}\n`);
process.stdout.write('aims: 50 modules < 15 s to all running; no-op pass at 200 modules < 50 ms\n');
