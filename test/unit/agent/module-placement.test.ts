import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { appliedPlacement, clusterPoolsOf, decidePlacement, realNodeImages, runsOnOf, type ClusterPools } from '../../../runtime/agent/module-placement.js';
import { renderStatusTable } from '../../../runtime/agent/status-table.js';

const real = { labels: { 'edgemu.io/node-pool': 'real' }, imageNames: ['docker.io/edgemu/filter:0.1.0', 'docker.io/edgemu/filter@sha256:abc', 'registry.k8s.io/pause:3.10'] };
const kwok = { labels: { 'edgemu.io/node-pool': 'simulated' }, imageNames: ['docker.io/edgemu/echo:0.1.0'] };
const plain = { labels: { 'kubernetes.io/hostname': 'kind-control-plane' } };

describe('clusterPoolsOf', () => {
  it.each<[string, object[], ClusterPools]>([
    ['a real node and KWOK nodes', [real, kwok, kwok], 'mixed'],
    ['a real node alone', [real], 'mixed'],
    ['KWOK nodes only', [kwok, kwok], 'simulated-only'],
    ['nodes without pool labels (kind, a user’s cluster)', [plain], 'none'],
    ['no nodes', [], 'none'],
  ])('%s: %s', (_n, nodes, pools) => {
    expect(clusterPoolsOf(nodes)).toBe(pools);
  });

  it('takes image names from the real pool only', () => {
    expect([...realNodeImages([real, kwok])].sort()).toEqual(['docker.io/edgemu/filter:0.1.0', 'docker.io/edgemu/filter@sha256:abc', 'registry.k8s.io/pause:3.10']);
  });
});

describe('decidePlacement', () => {
  const images = realNodeImages([real]);
  it.each<[ClusterPools, string, string, boolean]>([
    ['mixed', 'edgemu/filter:0.1.0', 'real', false],
    ['mixed', 'docker.io/edgemu/filter:0.1.0', 'real', false],
    ['mixed', 'edgemu/echo:0.1.0', 'simulated', true],
    ['mixed', 'contoso.azurecr.io/x:1', 'simulated', true],
    ['simulated-only', 'edgemu/filter:0.1.0', 'simulated', false],
    ['none', 'contoso.azurecr.io/x:1', 'any', false],
  ])('%s cluster, image %s → %s', (pools, image, placement, hasReason) => {
    const d = decidePlacement(pools, image, images);
    expect(d.placement).toBe(placement);
    expect(d.reason !== undefined).toBe(hasReason);
    if (hasReason) expect(d.reason).toContain(`image ${image} is not on the real node`);
  });
});

describe('runsOnOf', () => {
  const deployment = (nodeSelector?: Record<string, string>, annotations?: Record<string, string>): V1Deployment => ({
    spec: { selector: {}, template: { metadata: { ...(annotations ? { annotations } : {}) }, spec: { containers: [], ...(nodeSelector ? { nodeSelector } : {}) } } },
  });
  it.each([
    [deployment({ 'edgemu.io/node-pool': 'real' }), 'real', 'real'],
    [deployment({ 'edgemu.io/node-pool': 'real' }, { 'edgemu.io/stand-in': 'x' }), 'stand-in', 'real'],
    [deployment({ 'edgemu.io/node-pool': 'simulated' }), 'simulated', 'simulated'],
    [deployment(), 'cluster', 'any'],
    [deployment({ disk: 'ssd' }), 'cluster', 'any'],
  ])('%j runs on %s', (d, runsOn, placement) => {
    expect(runsOnOf(d)).toBe(runsOn);
    expect(appliedPlacement(d)).toBe(placement);
  });
});

describe('edgemu status shows where modules run', () => {
  it('adds a RUNS column when the agent reports runsOn', () => {
    const reported = {
      lastDesiredVersion: 2,
      lastDesiredStatus: { code: 200 },
      systemModules: { edgeAgent: { runtimeStatus: 'running' }, edgeHub: { runtimeStatus: 'running', status: 'running' } },
      modules: {
        SimulatedTemperatureSensor: { status: 'running', runtimeStatus: 'running', runsOn: 'stand-in', restartCount: 0, exitCode: 0 },
        filter: { status: 'running', runtimeStatus: 'running', runsOn: 'real', restartCount: 0, exitCode: 0 },
        other: { status: 'running', runtimeStatus: 'running', runsOn: 'simulated', restartCount: 0, exitCode: 0 },
      },
    };
    const lines = renderStatusTable('edge-1', reported).split('\n');
    expect(lines[1]).toMatch(/^MODULE\s+DESIRED\s+RUNTIME\s+RUNS\s+RESTARTS\s+EXIT\s+SINCE$/);
    expect(lines[2]).toMatch(/^edgeAgent\s+running\s+running\s+in edgemu\s+0/);
    expect(lines[4]).toMatch(/^SimulatedTemperatureSensor\s+running\s+running\s+stand-in\s+0\s+0/);
    expect(lines[5]).toMatch(/^filter\s+running\s+running\s+real\s/);
    expect(lines[6]).toMatch(/^other\s+running\s+running\s+simulated\s/);
  });
});
