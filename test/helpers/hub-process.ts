/**
 * The hub as a user starts it (`node bin/edgemu.js hub … --json`), in its own process, for the
 * benchmarks that compare like for like (docs/hub.md "Tests and benchmarks") and the tests that
 * need a real process (SIGTERM, SIGKILL): every port 0 on loopback, stderr in
 * `<stateDir>/hub.log`. Resolves with its startup summary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface HubProcess {
  proc: ChildProcess;
  pid: number;
  hostName: string;
  mqttsPort: number;
  amqpsPort: number;
  caFile: string;
  ca: string;
}

/** `nodeArgs` go before the script (e.g. `--cpu-prof`). */
export async function startHubProcess(stateDir: string, nodeArgs: string[] = []): Promise<HubProcess> {
  const log = openSync(path.join(stateDir, 'hub.log'), 'a');
  const proc = spawn(process.execPath, [...nodeArgs, path.join(repo, 'bin', 'edgemu.js'), '--state-dir', stateDir, 'hub', '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--bind', '127.0.0.1', '--json'], {
    stdio: ['ignore', 'pipe', log],
  });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`edgemu hub exited with ${code}; see ${path.join(stateDir, 'hub.log')}`)));
  });
  const s = JSON.parse(first) as { pid: number; hostName: string; mqttsPort: number; amqpsPort: number; caFile: string };
  return { proc, pid: s.pid, hostName: s.hostName, mqttsPort: s.mqttsPort, amqpsPort: s.amqpsPort, caFile: s.caFile, ca: readFileSync(s.caFile, 'utf8') };
}

/**
 * SIGTERM, then SIGKILL if the process has not exited within `graceMs`; resolves with how it
 * ended (a hub that logged "hub stopped" but lingers, e.g. while a peer still holds an AMQP
 * socket open, is reported as killed rather than hanging the benchmark).
 */
export async function stopHubProcess(hub: HubProcess, graceMs = 5000): Promise<'exited' | 'killed'> {
  if (hub.proc.exitCode !== null || hub.proc.signalCode !== null) return 'exited';
  const exited = new Promise<'exited'>((resolve) => hub.proc.once('exit', () => resolve('exited')));
  hub.proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const how = await Promise.race([exited, new Promise<'killed'>((resolve) => (timer = setTimeout(() => resolve('killed'), graceMs)))]);
  clearTimeout(timer);
  if (how === 'killed') {
    hub.proc.kill('SIGKILL');
    await exited;
  }
  return how;
}
