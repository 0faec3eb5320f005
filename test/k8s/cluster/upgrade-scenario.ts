import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../runtime/cli/main.js';
import { clusterDir } from '../../../runtime/cluster/index.js';

/**
 * An Azure Stack Edge-like device before an in-place upgrade (docs/cluster.md "Upgrading"), as a
 * user gets it: `EDGEMU_K8S_VERSION=v1.36.3 edgemu up --layout azure-stack-edge --deployment
 * <sample>` in this process (the CLI as typed), which starts its own local cluster at the old
 * version with a real node where one can run, the hub, and the agent; then telemetry from the
 * filter module and the agent's reported module states, sampled with their arrival times so a
 * test or the benchmark can see what an upgrade does to them. Used by
 * azure-stack-edge-upgrade.test.ts and bench/upgrade.bench.ts.
 */

export const SAMPLE_DEPLOYMENT = 'deployments/examples/temperature-filter.deployment.json';
export const SAMPLE_MODULES = ['SimulatedTemperatureSensor', 'filter'] as const;

export interface Cli {
  io: { out: string; err: string };
  done: Promise<{ code: number; out: string; err: string }>;
}

export type Reported = {
  lastDesiredStatus?: { code: number };
  modules?: Record<string, { runtimeStatus: string; runsOn?: string; restartCount: number; exitCode?: number }>;
};

export interface UpgradeScenario {
  stateDir: string;
  deviceId: string;
  /** The cluster `up` started: its directory and kubeconfig. */
  clusterDir: string;
  kubeconfig: string;
  /** The `up` command itself (its output so far in `io`). */
  up: Cli;
  cli(argv: string[], signal?: AbortSignal): Cli;
  /** $edgeAgent's reported properties as `edgemu status --json` prints them, or undefined. */
  status(): Promise<Reported | undefined>;
  /** Arrival times (Date.now()) of the filter module's messages upstream, from `edgemu monitor`. */
  telemetry: number[];
  /** Module states sampled every `sampleMs` while sampling runs: [time, module, runtimeStatus]. */
  samples: [number, string, string][];
  startSampling(sampleMs?: number): void;
  stopSampling(): Promise<void>;
  /** Stops `up` (Ctrl-C: it takes down the cluster it started) and removes the state dir. */
  close(): Promise<void>;
}

export async function eventuallyValue<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string, intervalMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Starts the device at `fromVersion` and resolves once both sample modules are reported running
 * and a first filter message arrived upstream.
 */
export async function startUpgradeScenario(options: { fromVersion: string; deviceId?: string; log?: (m: string) => void }): Promise<UpgradeScenario> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-upgrade-'));
  const deviceId = options.deviceId ?? 'ase-1';
  const log = options.log ?? (() => undefined);
  const stops: AbortController[] = [];
  const cli = (argv: string[], signal: AbortSignal = AbortSignal.abort()): Cli => {
    const io = { out: '', err: '' };
    const done = main(['--state-dir', stateDir, '--log-level', 'silent', ...argv], { out: (s) => void (io.out += s), err: (s) => void (io.err += s), shutdownSignal: signal });
    return { io, done: done.then((code) => ({ code, ...io })) };
  };
  const status = async (): Promise<Reported | undefined> => {
    const s = await cli(['status', '--device', deviceId, '--json']).done;
    return s.code === 0 ? (JSON.parse(s.out) as Reported) : undefined;
  };
  const stopUp = new AbortController();
  stops.push(stopUp);
  // The cluster's version is chosen when `up` starts it (docs/cluster.md "Where things live").
  const previous = process.env.EDGEMU_K8S_VERSION;
  process.env.EDGEMU_K8S_VERSION = options.fromVersion;
  const up = cli(
    ['up', '--layout', 'azure-stack-edge', '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--deployment', SAMPLE_DEPLOYMENT, '--device', deviceId],
    stopUp.signal,
  );
  const telemetry: number[] = [];
  const samples: [number, string, string][] = [];
  let sampling: { stop: boolean; loop: Promise<void> } | undefined;
  const scenario: UpgradeScenario = {
    stateDir,
    deviceId,
    clusterDir: clusterDir(stateDir, 'edgemu'),
    kubeconfig: path.join(clusterDir(stateDir, 'edgemu'), 'kubeconfig'),
    up,
    cli,
    status,
    telemetry,
    samples,
    startSampling(sampleMs = 500) {
      const state = { stop: false, loop: Promise.resolve() };
      state.loop = (async () => {
        while (!state.stop) {
          const r = await status().catch(() => undefined);
          const at = Date.now();
          for (const m of SAMPLE_MODULES) samples.push([at, m, r?.modules?.[m]?.runtimeStatus ?? '(not reported)']);
          await new Promise((res) => setTimeout(res, sampleMs));
        }
      })();
      sampling = state;
    },
    async stopSampling() {
      if (sampling === undefined) return;
      sampling.stop = true;
      await sampling.loop;
    },
    async close() {
      await scenario.stopSampling();
      for (const s of stops) s.abort();
      await up.done.catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  try {
    await eventuallyValue(
      async () => {
        const done = await Promise.race([up.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10))]);
        if (done !== undefined) throw new Error(`edgemu up exited with ${done.code}: ${done.err.slice(-2000)}`);
        const r = await status();
        return r?.lastDesiredStatus?.code === 200 && SAMPLE_MODULES.every((m) => r.modules?.[m]?.runtimeStatus === 'running') ? r : undefined;
      },
      900_000,
      `edgemu up running the sample modules at ${options.fromVersion}`,
    );
    log(`modules running at ${options.fromVersion}`);
    if (previous === undefined) delete process.env.EDGEMU_K8S_VERSION;
    else process.env.EDGEMU_K8S_VERSION = previous;
    const stopMonitor = new AbortController();
    stops.push(stopMonitor);
    // `edgemu monitor --json`: one object per upstream message; the filter's are the pipeline's end
    let pending = '';
    void main(['--state-dir', stateDir, '--log-level', 'silent', 'monitor', '--device', deviceId, '--module', 'filter', '--json'], {
      out: (s) => {
        pending += s;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') telemetry.push(Date.now());
      },
      err: () => undefined,
      shutdownSignal: stopMonitor.signal,
    });
    await eventuallyValue(async () => telemetry.length > 0, 120_000, 'a first filter message upstream');
    return scenario;
  } catch (error) {
    if (previous === undefined) delete process.env.EDGEMU_K8S_VERSION;
    else process.env.EDGEMU_K8S_VERSION = previous;
    process.stderr.write(`[upgrade scenario] edgemu up output:\n${up.io.err.slice(-4000)}\n`);
    await scenario.close();
    throw error;
  }
}

/** The longest gap between consecutive arrivals inside [from, to] (including the edges). */
export function longestGap(arrivals: readonly number[], from: number, to: number): number {
  const inside = arrivals.filter((t) => t >= from && t <= to);
  const before = arrivals.filter((t) => t < from).at(-1) ?? from;
  const after = arrivals.find((t) => t > to) ?? to;
  const points = [before, ...inside, after];
  let gap = 0;
  for (let i = 1; i < points.length; i++) gap = Math.max(gap, points[i]! - points[i - 1]!);
  return gap;
}
