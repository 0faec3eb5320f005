import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../runtime/cli/main.js';
import { clusterDir, readClusterNodeInfo } from '../../../runtime/cluster/index.js';
import { deviceNamespace } from '../../../runtime/translate/index.js';
import { startAzurite } from '../../helpers/azurite.js';
import { eventually } from '../../helpers/k8s.js';
import { leftovers } from '../cluster/real-node-host.js';

// `npm start` as a new user runs it (README "What `npm start` shows"): `edgemu up` starts its own
// local cluster with a real node (docs/cluster.md "The real node"), builds the sample images,
// deploys the sample manifest, and the pods' telemetry arrives upstream through the routes. Then,
// on the same `up`, $edgeAgent's direct methods (docs/agent.md "Direct methods" and "Logs") as
// `az iot hub invoke-module-method` would call them, with an upload of the sensor's real log to
// Azurite; last, Ctrl-C takes the cluster down. One `up` for all: a real-node start is the slow part.
const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-up-real-'));
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

describe('edgemu up on a local cluster with a real node', () => {
  it('runs the sample modules in containers on the real node, and their telemetry arrives upstream', async () => {
    const started = cli(['up', '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--deployment', 'deployments/examples/temperature-filter.deployment.json', '--device', deviceId], stopUp.signal);
    up = started.done;
    const reported = await eventually(
      async () => {
        const r = await status();
        const ok = r?.lastDesiredStatus?.code === 200 && ['filter', 'SimulatedTemperatureSensor'].every((m) => r.modules?.[m]?.runtimeStatus === 'running');
        return ok ? r : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 1000, what: 'edgemu up running the sample modules on the real node' },
    );
    expect(reported.modules?.filter?.runsOn).toBe('real');
    expect(reported.modules?.SimulatedTemperatureSensor?.runsOn).toBe('real');
    expect(started.io.err).toMatch(/image edgemu\/filter:0\.1\.0: .*(imported|already on the node)/);

    // The pods are on the real node of the cluster `up` started.
    const info = readClusterNodeInfo(clusterDir(stateDir, 'edgemu'));
    expect(info?.nodes).toBe('real');
    const kc = new KubeConfig();
    kc.loadFromFile(path.join(clusterDir(stateDir, 'edgemu'), 'kubeconfig'));
    const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: deviceNamespace(deviceId) });
    const running = pods.items.filter((p) => p.status?.phase === 'Running');
    expect(running.length).toBeGreaterThanOrEqual(2);
    for (const p of running) expect(p.spec?.nodeName).toBe(info?.nodes === 'real' ? info.realNode : '?');

    // Telemetry the sensor pod sent, through the filter pod, arrives upstream (route filterToIoTHub).
    const stopMonitor = new AbortController();
    const monitor = cli(['monitor', '--device', deviceId], stopMonitor.signal);
    const line = await eventually(async () => monitor.io.out.split('\n').find((l) => l.includes(`${deviceId}/filter output output1`)), {
      timeoutMs: 60_000,
      what: 'a message from the filter pod upstream',
    });
    stopMonitor.abort();
    await monitor.done;
    expect(JSON.parse(line.slice(line.indexOf('{'), line.lastIndexOf('}') + 1))).toMatchObject({ machine: { temperature: expect.any(Number) }, ambient: { humidity: expect.any(Number) } });

  }, 900_000);

  it("answers $edgeAgent's ping, RestartModule, GetModuleLogs and UploadModuleLogs as IoT Edge does, and edgemu logs prints the module's lines", async () => {
    const running = (await status())!;
    expect(running.modules?.filter?.runtimeStatus).toBe('running');
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
    // The restarted filter's new container logs only once its client is connected: wait for that too.
    const lineCount = (items: unknown, id: string) => (items as Array<{ id: string; payload: string }>).find((i) => i.id === id)?.payload.trim().split('\n').filter(Boolean).length ?? 0;
    await eventually(async () => {
      const r = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: '^SimulatedTemperatureSensor$' }, { id: '^filter$' }] });
      return r.status === 200 && lineCount(r.payload, 'SimulatedTemperatureSensor') >= 3 && lineCount(r.payload, 'filter') >= 1 ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1000, what: 'three sensor log lines and one from the restarted filter' });
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
      // Info lines, or a warning the filter logs while its new client connects (syslog severities 6 and 4).
      expect(messages.every((m) => m.moduleId === item.id && (m.loglevel === 6 || m.loglevel === 4))).toBe(true);
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
  }, 600_000);

  it('stops on Ctrl-C and takes down the cluster it started, real node included', async () => {
    stopUp.abort();
    expect(up).toBeDefined();
    const result = (await up)!;
    expect(result.code).toBe(0);
    expect(result.out).toContain('modules run on the real node');
    expect(result.out).toContain('edgemu up stopped');
    // Ctrl-C took down the cluster `up` started, real node included.
    const left = leftovers(clusterDir(stateDir, 'edgemu'), 'edgemu');
    expect({ processes: left.processes, mounts: left.mounts, bridge: left.bridge, cgroups: left.cgroups }).toEqual({ processes: [], mounts: [], bridge: false, cgroups: [] });
  }, 120_000);
});
