import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../runtime/cli/main.js';
import { startAzurite } from '../../helpers/azurite.js';
import { eventually } from '../../helpers/k8s.js';

// The acceptance of $edgeAgent's direct methods on the local cluster's real node
// (docs/agent.md "Direct methods" and "Logs"): `edgemu up` with the sample deployment, then the
// methods through the hub as `az iot hub invoke-module-method` would call them, and an upload of
// the sensor's real log to Azurite.
const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-methods-real-'));
const deviceId = 'edge-1';
let up: Promise<{ code: number; out: string; err: string }> | undefined;
const stopUp = new AbortController();

afterAll(async () => {
  stopUp.abort();
  await up?.catch(() => undefined);
  rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

function cli(argv: string[], signal = AbortSignal.abort()) {
  const io = { out: '', err: '' };
  const done = main(['--state-dir', stateDir, '--log-level', 'silent', ...argv], { out: (s) => void (io.out += s), err: (s) => void (io.err += s), shutdownSignal: signal });
  return { io, done: done.then((code) => ({ code, ...io })) };
}

type Reported = { lastDesiredStatus?: { code: number }; modules?: Record<string, { runtimeStatus: string; runsOn?: string; restartCount: number }> };
async function status(): Promise<Reported | undefined> {
  const s = await cli(['status', '--device', deviceId, '--json']).done;
  return s.code === 0 ? (JSON.parse(s.out) as Reported) : undefined;
}

async function invoke(name: string, payload: unknown): Promise<{ status: number; payload: unknown }> {
  const r = await cli(['methods', 'invoke', deviceId, name, JSON.stringify(payload), '--module', '$edgeAgent', '--json', '--timeout', '60']).done;
  return JSON.parse(r.out) as { status: number; payload: unknown };
}

describe("$edgeAgent's direct methods with the sample modules on the real node", () => {
  it('ping, RestartModule, GetModuleLogs and edgemu logs answer as IoT Edge does', async () => {
    const started = cli(['up', '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--deployment', 'deployments/examples/temperature-filter.deployment.json', '--device', deviceId], stopUp.signal);
    up = started.done;
    const running = await eventually(
      async () => {
        const r = await status();
        const ok = r?.lastDesiredStatus?.code === 200 && ['filter', 'SimulatedTemperatureSensor'].every((m) => r.modules?.[m]?.runtimeStatus === 'running' && r.modules[m]?.runsOn === 'real');
        return ok ? r : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 1000, what: 'the sample modules running on the real node' },
    );

    expect(await invoke('ping', null)).toEqual({ status: 200, payload: null });
    expect(await invoke('Reboot', null)).toMatchObject({ status: 400, payload: { message: expect.stringContaining("Command 'Reboot' not found. The supported commands are - ping,RestartModule,GetModuleLogs") } });
    expect(await invoke('RestartModule', { schemaVersion: '1.0', id: 'nope' })).toEqual({ status: 500, payload: { message: 'Module nope not found in the current environment' } });

    // RestartModule: a new container, running again, restartCount up.
    const before = running.modules!.filter!.restartCount;
    expect(await invoke('RestartModule', { schemaVersion: '1.0', id: 'filter' })).toEqual({ status: 200, payload: null });
    await eventually(
      async () => {
        const r = await status();
        return r?.modules?.filter?.runtimeStatus === 'running' && r.modules.filter.restartCount === before + 1 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'filter running again with restartCount + 1' },
    );

    // GetModuleLogs: tail, gzip+json, a regex id answering for each match.
    await eventually(async () => {
      const r = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: '^SimulatedTemperatureSensor$' }] });
      return r.status === 200 && ((r.payload as Array<{ payload: string }>)[0]?.payload.trimEnd().split('\n').length ?? 0) >= 3 ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1000, what: 'three sensor log lines' });
    const tail = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: '^SimulatedTemperatureSensor$', filter: { tail: 2 } }] });
    expect(tail.status).toBe(200);
    const [tailItem] = tail.payload as Array<{ id: string; payload: string }>;
    expect(tailItem!.id).toBe('SimulatedTemperatureSensor');
    expect(tailItem!.payload.trimEnd().split('\n')).toHaveLength(2);
    expect(tailItem!.payload).toMatch(/^<6> \d{4}-\d{2}-\d{2} [\d:.]+ \+00:00 \[INF\] /);

    const gz = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'sensor|filter', filter: { tail: 5 } }], encoding: 'gzip', contentType: 'json' });
    expect(gz.status).toBe(200);
    const items = gz.payload as Array<{ id: string; payloadBytes: string }>;
    expect(items.map((i) => i.id).sort()).toEqual(['SimulatedTemperatureSensor', 'filter']);
    for (const item of items) {
      const messages = JSON.parse(gunzipSync(Buffer.from(item.payloadBytes, 'base64')).toString('utf8')) as Array<{ moduleId: string; loglevel: number; text: string }>;
      expect(messages.length).toBeGreaterThan(0);
      expect(messages.length).toBeLessThanOrEqual(5);
      expect(messages.every((m) => m.moduleId === item.id && m.loglevel === 6)).toBe(true);
    }
    // RestartModule made a new pod: it has no previous container, and the answer says so.
    const previous = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: '^filter$', filter: { previous: true } }] });
    expect(previous).toMatchObject({ status: 500, payload: { message: expect.stringContaining('filter: module filter has no previous container in its pod') } });
    // Hostile: a catastrophic regex answers quickly and the agent keeps reconciling.
    const t0 = Date.now();
    const evil = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'all', filter: { regex: '(a+)+$' } }] });
    expect(evil.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(30_000);

    // edgemu logs prints three lines.
    const logs = await cli(['logs', 'SimulatedTemperatureSensor', '--device', deviceId, '--tail', '3']).done;
    expect(logs.code).toBe(0);
    expect(logs.out.trimEnd().split('\n')).toHaveLength(3);
    expect((await status())?.lastDesiredStatus?.code).toBe(200);

    // UploadModuleLogs of the real log to Azurite: Running, then Completed, and the blob has the lines.
    const azurite = await startAzurite();
    try {
      await azurite.service.getContainerClient('logs').create();
      const upload = await invoke('UploadModuleLogs', { schemaVersion: '1.0', sasUrl: azurite.containerSasUrl('logs'), items: [{ id: '^SimulatedTemperatureSensor$', filter: { tail: 3 } }] });
      expect(upload).toMatchObject({ status: 200, payload: { status: 'Running', message: '' } });
      const { correlationId } = upload.payload as { correlationId: string };
      const final = await eventually(
        async () => {
          const r = await invoke('GetTaskStatus', { schemaVersion: '1.0', correlationId });
          const s = r.payload as { status: string };
          return r.status === 200 && s.status !== 'Running' ? s : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: 'the upload finished' },
      );
      expect(final).toEqual({ status: 'Completed', message: '', correlationId });
      const names: string[] = [];
      for await (const b of azurite.service.getContainerClient('logs').listBlobsFlat()) names.push(b.name);
      const blobs = names.filter((n) => n.includes(`/${deviceId}/SimulatedTemperatureSensor-`) && n.endsWith('.log'));
      expect(blobs).toHaveLength(1);
      const text = (await azurite.service.getContainerClient('logs').getBlobClient(blobs[0]!).downloadToBuffer()).toString('utf8');
      expect(text.trimEnd().split('\n')).toHaveLength(3);
      expect(text).toMatch(/^<6> \d{4}-\d{2}-\d{2} [\d:.]+ \+00:00 \[INF\] /);
    } finally {
      await azurite.stop();
    }

    stopUp.abort();
    expect((await up).code).toBe(0);
  }, 900_000);
});
