import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopLocalCluster } from '../../../runtime/cluster/local-cluster.js';
import { eventually } from '../../helpers/k8s.js';
import { readSysctls } from '../../../runtime/cluster/node-host.js';
import { KUBELET_SYSCTLS, NOTHING_LEFT, hostSnapshot, leftovers, sysctlsUnlikeKubelet } from './real-node-host.js';

// Ctrl-C and a killed owner with a real node: everything on the host goes (docs/cluster.md
// "What the real node changes on the host"). Needs its own real node, so not when the run's
// cluster already is one (only one real node per machine).
const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'edgemu.js');
const stateDir = mkdtempSync(join(tmpdir(), 'edgemu-real-signals-'));
const clusterDir = (name: string) => join(stateDir, 'clusters', name);

function upForeground(name: string): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, '--state-dir', stateDir, 'cluster', 'up', '--nodes', 'real', '--foreground', '--name', name], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  child.stdout?.resume();
  return { child, stderr: () => err, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

async function runningPod(name: string): Promise<void> {
  const kubeconfig = join(clusterDir(name), 'kubeconfig');
  await run('kubectl', ['--kubeconfig', kubeconfig, 'run', 'sleeper', '--image=edgemu.local/busybox:v1', '--image-pull-policy=Never', '--', 'sleep', '3600']);
  await eventually(async () => (await run('kubectl', ['--kubeconfig', kubeconfig, 'get', 'pod', 'sleeper', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', { timeoutMs: 60_000, what: 'pod sleeper Running' });
}

async function waitForText(read: () => string, text: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!read().includes(text)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}" in:\n${read()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.runIf(inject('edgemuNodes') !== 'real')('a real node and signals', () => {
  // kubelet's sysctls start unlike kubelet's values, so their restore is seen (undone at the end).
  let undoSysctls = () => {};
  beforeAll(() => {
    undoSysctls = sysctlsUnlikeKubelet();
  });
  afterAll(async () => {
    undoSysctls();
    for (const name of ['sigint', 'killed']) await stopLocalCluster(clusterDir(name)).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('Ctrl-C on `cluster up --foreground` leaves no process, mount, bridge, table, cgroup or changed sysctl', async () => {
    const before = hostSnapshot();
    const up = upForeground('sigint');
    await waitForText(up.stderr, 'running in the foreground');
    await runningPod('sigint');
    // kubelet changed them while it runs (docs/cluster.md "What it changes on the host")
    expect(readSysctls(Object.keys(KUBELET_SYSCTLS))).toEqual(KUBELET_SYSCTLS);
    expect(hostSnapshot().sysctls).not.toEqual(before.sysctls);
    up.child.kill('SIGINT');
    expect(await up.exit).toBe(0);
    expect(leftovers(clusterDir('sigint'), 'sigint')).toEqual(NOTHING_LEFT);
    expect(hostSnapshot()).toEqual(before);
  }, 900_000);

  it('a SIGKILLed owner: the watchdog tears the real node down too', async () => {
    const before = hostSnapshot();
    const up = upForeground('killed');
    await waitForText(up.stderr, 'running in the foreground');
    await runningPod('killed');
    expect(readSysctls(Object.keys(KUBELET_SYSCTLS))).toEqual(KUBELET_SYSCTLS);
    up.child.kill('SIGKILL');
    await up.exit;
    await eventually(async () => JSON.stringify(leftovers(clusterDir('killed'), 'killed')) === JSON.stringify(NOTHING_LEFT), { timeoutMs: 60_000, what: 'the watchdog to clean up' }).catch(() => undefined);
    expect(leftovers(clusterDir('killed'), 'killed')).toEqual(NOTHING_LEFT);
    expect(hostSnapshot()).toEqual(before);
  }, 900_000);
});
