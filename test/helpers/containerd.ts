/**
 * Starts a private containerd for a test (Debian's `containerd` + `runc`): its own root, state
 * and socket under a temp dir, the CRI plugin disabled (no kubelet here), stopped and removed
 * by `stop()`. Fails with the install command when containerd is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { execa } from 'execa';
import type { ContainerdTarget } from '../../runtime/image/containerd-target.js';

export interface TestContainerd {
  target: ContainerdTarget;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestContainerd(): Promise<TestContainerd> {
  for (const bin of ['containerd', 'ctr', 'runc']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${bin} is not installed; the image tests need it: apt-get update && apt-get install -y containerd runc`);
    }
  }
  // Short path: containerd's socket path must stay under the 108-byte unix socket limit.
  const dir = mkdtempSync('/tmp/edgemu-ctrd-');
  const address = path.join(dir, 'c.sock');
  writeFileSync(
    path.join(dir, 'config.toml'),
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${address}"`,
      '[ttrpc]',
      `  address = "${address}.ttrpc"`,
      '[debug]',
      `  address = "${dir}/debug.sock"`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('containerd', ['--config', path.join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const target: ContainerdTarget = { address, namespace: 'k8s.io', ctr: 'ctr' };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await execa('ctr', ['--address', address, 'version'], { timeout: 5_000 });
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`test containerd did not start: ${String(error)}\n${log}`, { cause: error });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    target,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      // Snapshots of stopped containers are unmounted; anything left mounted under the dir goes first.
      await execa('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l`]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
