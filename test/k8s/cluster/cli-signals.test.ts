import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopLocalCluster } from '../../../runtime/cluster/local-cluster.js';

// `edgemu cluster up` as a user runs it, interrupted with Ctrl-C (SIGINT): nothing it started
// may survive. Processes are found by their command line mentioning the cluster directory
// (read-only /proc scan; nothing is signalled by name).
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'edgemu.js');
const stateDir = mkdtempSync(join(tmpdir(), 'edgemu-cli-signals-'));

function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(text) && !cmdline.includes('vitest')) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function edgemu(args: string[]): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, '--state-dir', stateDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  child.stdout?.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exit };
}

async function waitForText(read: () => string, text: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!read().includes(text)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}" in:\n${read()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Ctrl-C of `edgemu cluster up`', () => {
  afterAll(async () => {
    for (const name of ['fg', 'twice', 'early']) await stopLocalCluster(join(stateDir, 'clusters', name)).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('--foreground: stops the cluster and leaves no process or file behind', async () => {
    const dir = join(stateDir, 'clusters', 'fg');
    const run = edgemu(['cluster', 'up', '--nodes', 'simulated', '--foreground', '--name', 'fg']);
    await waitForText(run.stderr, 'running in the foreground');
    expect(processesMentioning(dir).length).toBeGreaterThanOrEqual(5);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('--foreground, Ctrl-C twice: the second one kills what is left at once, and nothing outlives the command', async () => {
    const dir = join(stateDir, 'clusters', 'twice');
    const run = edgemu(['cluster', 'up', '--nodes', 'simulated', '--foreground', '--name', 'twice']);
    await waitForText(run.stderr, 'running in the foreground');
    run.child.kill('SIGINT');
    await waitForText(run.stderr, '[cluster] stopping');
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('while starting: stops what was already started and exits 1', async () => {
    const dir = join(stateDir, 'clusters', 'early');
    const run = edgemu(['cluster', 'up', '--nodes', 'simulated', '--name', 'early']);
    await waitForText(run.stderr, 'starting kube-apiserver');
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/cluster start interrupted/);
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(join(dir, 'cluster.json'))).toBe(false);
  });
});
