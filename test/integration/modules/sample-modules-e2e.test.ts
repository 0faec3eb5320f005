/**
 * End to end with processes, as a user runs it (docs/modules.md): `edgemu hub` with the sample
 * deployment applied through the service API, the sensor and the filter started with
 * `edgemu module run`; telemetry crosses the route, is filtered by the threshold from the
 * filter's twin and reaches `$upstream` (read back through the service API's telemetry
 * endpoint, the monitor API); a desired `sendInterval` change changes the sensor's rate and is
 * reported; `reset` is invoked through the service API and answered; the modules reconnect
 * after a hub restart and exit 0 on SIGTERM.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openHubStore } from '../../../runtime/hub/index.js';
import { connectToRunningHub, type ServiceClient } from '../../../runtime/service-api/service-client.js';
import type { TelemetryJson } from '../../../runtime/service-api/telemetry-json.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const manifest = JSON.parse(readFileSync(path.join(repo, 'deployments/examples/sample-modules.deployment.json'), 'utf8'));
const DEVICE = 'edge-1';
/** `TemperatureThreshold` in the sample deployment; the filter's built-in default is 25. */
const THRESHOLD = 30;

const SPAWN_OPTIONS = { cwd: repo, reject: false, buffer: false, stdout: 'pipe', stderr: 'pipe' } as const;

interface Proc {
  child: ResultPromise<typeof SPAWN_OPTIONS>;
  output: () => string;
}

let stateDir: string;
let hub: Proc;
let ports: { mqttsPort: number; httpsPort: number };
let service: ServiceClient;
const modules: Record<string, Proc> = {};
/** Every telemetry message read from the monitor API so far, oldest first. */
const events: TelemetryJson[] = [];
let lastSeq = 0;

function spawnEdgemu(args: string[]): Proc {
  let output = '';
  const child = execa(process.execPath, [path.join(repo, 'bin/edgemu.js'), '--state-dir', stateDir, '--log-level', 'warn', ...args], SPAWN_OPTIONS);
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function startHubProcess(mqttsPort: number, httpsPort: number): Promise<void> {
  hub = spawnEdgemu(['hub', '--mqtts-port', String(mqttsPort), '--amqps-port', '0', '--https-port', String(httpsPort), '--bind', '127.0.0.1', '--json']);
  const summary = await vi.waitFor(
    () => {
      const line = hub.output().split('\n').find((l) => l.startsWith('{"stateDir"'));
      if (!line) throw new Error(`hub not up yet:\n${hub.output()}`);
      return JSON.parse(line) as { mqttsPort: number; httpsPort: number | null };
    },
    { timeout: 30_000, interval: 100 },
  );
  if (summary.httpsPort === null) throw new Error('the hub started without its service API');
  ports = { mqttsPort: summary.mqttsPort, httpsPort: summary.httpsPort };
  service = connectToRunningHub(stateDir);
}

async function stopProcess(proc: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | undefined> {
  proc.child.kill(signal);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
  const result = await proc.child;
  clearTimeout(timer);
  return result.exitCode;
}

/** Reads new telemetry of the device from the monitor API into `events`. */
async function pollEvents(): Promise<void> {
  const page = await service.recentEvents({ deviceId: DEVICE, after: lastSeq, limit: 1000 });
  for (const e of page) {
    events.push(e);
    lastSeq = Math.max(lastSeq, e.seq);
  }
}

interface Reading {
  seq: number;
  sequenceNumber: number;
  temperature: number;
  timeCreatedMs: number;
  enqueuedMs: number;
}

const readingsFrom = (moduleId: string, list = events): Reading[] =>
  list
    .filter((e) => e.moduleId === moduleId)
    .map((e) => {
      const body = JSON.parse(e.body) as { machine: { temperature: number }; timeCreated: string };
      return {
        seq: e.seq,
        sequenceNumber: Number(e.properties.sequenceNumber),
        temperature: body.machine.temperature,
        timeCreatedMs: Date.parse(body.timeCreated),
        enqueuedMs: Date.parse(e.enqueuedTime),
      };
    });

/** Waits until `predicate` holds for the filter's readings created after `sinceMs`, and returns them. */
async function filteredReadingsSince(sinceMs: number, predicate: (r: Reading[]) => boolean, timeout = 30_000): Promise<Reading[]> {
  return vi.waitFor(
    async () => {
      await pollEvents();
      const readings = readingsFrom('filter').filter((r) => r.timeCreatedMs > sinceMs);
      if (!predicate(readings)) throw new Error(`only ${readings.length} forwarded readings since ${new Date(sinceMs).toISOString()}`);
      return readings;
    },
    { timeout, interval: 200 },
  );
}

/** Seconds between two sensor readings, from the sensor's own sequence numbers and timestamps. */
function measuredInterval(readings: Reading[]): number {
  const sorted = [...readings].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  const first = sorted[0]!;
  const last = sorted.at(-1)!;
  return (last.timeCreatedMs - first.timeCreatedMs) / 1000 / (last.sequenceNumber - first.sequenceNumber);
}

async function reported(moduleId: string): Promise<Record<string, unknown>> {
  const twin = await service.getTwin({ deviceId: DEVICE, moduleId });
  return twin.properties.reported as Record<string, unknown>;
}

async function setSendInterval(seconds: number): Promise<number> {
  await service.patchTwin({ deviceId: DEVICE, moduleId: 'sensor' }, { properties: { desired: { sendInterval: seconds } } });
  await vi.waitFor(async () => expect((await reported('sensor')).sendInterval).toBe(seconds), { timeout: 20_000, interval: 200 });
  return Date.now();
}

describe('the sample modules end to end (processes)', () => {
  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-modules-e2e-'));
    const store = openHubStore({ stateDir });
    store.identities.createDevice(DEVICE, { edge: true });
    store.close();
    await startHubProcess(0, 0);
    await service.applyConfigurationContent(DEVICE, manifest);
    modules.sensor = spawnEdgemu(['module', 'run', 'modules/simulated-temperature-sensor', '--device', DEVICE, '--module', 'sensor']);
    modules.filter = spawnEdgemu(['module', 'run', 'modules/filter', '--device', DEVICE, '--module', 'filter']);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(Object.values(modules).map((m) => (m.child.exitCode === null ? stopProcess(m, 'SIGKILL') : undefined)));
    service?.close();
    if (hub && hub.child.exitCode === null) await stopProcess(hub, 'SIGTERM');
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('applies the desired sendInterval, reports it, and changes its rate when the desired value changes', async () => {
    // From the deployment: sendInterval 1, reported back once the sensor has read its twin.
    await vi.waitFor(async () => expect((await reported('sensor')).sendInterval).toBe(1), { timeout: 30_000, interval: 200 });

    const fastSince = await setSendInterval(0.1);
    const fast = await filteredReadingsSince(fastSince, (r) => r.length >= 6);
    const slowSince = await setSendInterval(0.5);
    const slow = await filteredReadingsSince(slowSince, (r) => r.length >= 3);

    // Generous bounds (the machine may be busy with other suites); the two rates must clearly differ.
    expect(measuredInterval(fast)).toBeGreaterThan(0.05);
    expect(measuredInterval(fast)).toBeLessThan(0.3);
    expect(measuredInterval(slow)).toBeGreaterThan(0.4);
    expect(measuredInterval(slow)).toBeLessThan(1);
    expect(measuredInterval(slow)).toBeGreaterThan(2 * measuredInterval(fast));
  }, 90_000);

  it('routes sensor telemetry through the filter, which forwards only readings above the threshold from its twin to $upstream', async () => {
    await setSendInterval(0.1);
    await vi.waitFor(async () => {
      await pollEvents();
      expect(readingsFrom('filter').length).toBeGreaterThanOrEqual(15);
    }, { timeout: 30_000, interval: 200 });
    expect((await reported('filter')).TemperatureThreshold).toBe(THRESHOLD);

    const upstream = events.filter((e) => e.deviceId === DEVICE);
    // No route sends the sensor's own output upstream: everything arrives through the filter.
    expect(upstream.map((e) => e.moduleId).filter((m) => m !== 'filter')).toEqual([]);
    for (const e of upstream) {
      expect(e.endpoint).toBe('$upstream');
      expect(e.outputName).toBe('output1');
      expect(e.properties.MessageType).toBe('Alert');
    }
    const readings = readingsFrom('filter');
    // The sensor ramps 20, 21, … 40: with the twin's threshold (30, not the default 25) only 31 … 40 pass.
    const passing = [31, 32, 33, 34, 35, 36, 37, 38, 39, 40];
    for (const r of readings) expect(passing).toContain(r.temperature);
    // Readings at or below the threshold were dropped: the sensor's sequence numbers have gaps.
    const numbers = readings.map((r) => r.sequenceNumber).sort((a, b) => a - b);
    expect(numbers.at(-1)! - numbers[0]! + 1).toBeGreaterThan(numbers.length);
  }, 90_000);

  it('answers the filter reset method invoked through the service API', async () => {
    const result = await service.invokeMethod({ deviceId: DEVICE, moduleId: 'filter' }, 'reset', { reason: 'e2e' }, 10);
    expect(result.status).toBe(200);
    const payload = result.payload as { reset: boolean; threshold: number; previous: { received: number; forwarded: number; dropped: number } };
    expect(payload.reset).toBe(true);
    expect(payload.threshold).toBe(THRESHOLD);
    expect(payload.previous.forwarded).toBeGreaterThan(0);
    expect(payload.previous.dropped).toBeGreaterThan(0);
    expect(payload.previous.received).toBe(payload.previous.forwarded + payload.previous.dropped);
    await vi.waitFor(async () => expect((await reported('filter')).lastReset).toEqual(expect.any(String)), { timeout: 10_000, interval: 200 });
  }, 60_000);

  it('keeps the modules working across a hub restart', async () => {
    const { mqttsPort, httpsPort } = ports;
    service.close();
    expect(await stopProcess(hub, 'SIGTERM')).toBe(0);
    const restartedAt = Date.now();
    await startHubProcess(mqttsPort, httpsPort);
    // Telemetry flows again: sensor → route → filter → $upstream, enqueued by the new hub.
    await vi.waitFor(
      async () => {
        await pollEvents();
        expect(readingsFrom('filter').filter((r) => r.enqueuedMs > restartedAt).length).toBeGreaterThanOrEqual(3);
      },
      { timeout: 45_000, interval: 250 },
    );
    // And desired changes reach the sensor again.
    await setSendInterval(0.2);
    expect(modules.sensor!.child.exitCode).toBeNull();
    expect(modules.filter!.child.exitCode).toBeNull();
  }, 90_000);

  it('stops the modules cleanly with exit code 0 on SIGTERM', async () => {
    const codes = await Promise.all([stopProcess(modules.sensor!, 'SIGTERM'), stopProcess(modules.filter!, 'SIGTERM')]);
    expect(codes).toEqual([0, 0]);
    expect(modules.sensor!.output()).toMatch(/sensor \| .*SIGTERM received, closing the client/);
    expect(modules.sensor!.output()).toMatch(/sensor \| .*stopped/);
    expect(modules.filter!.output()).toMatch(/filter \| .*stopped/);
  }, 60_000);
});
