/**
 * Microsoft's quickstart, unchanged, on the stand-in image: `ensureManifestImages` builds and
 * imports the stand-in under `mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5`
 * into a private containerd, the image runs with `ctr run` (host network, so it reaches the hub
 * on 127.0.0.1) with the environment IoT Edge gives a module, and its readings arrive upstream
 * through the quickstart's route; `reset` answers 200; a real image under the name is kept.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureManifestImages, ImageStore, CtrClient, isEdgemuImage } from '../../../runtime/image/index.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { startServer, type Server } from '../../../runtime/server/start-server.js';
import { connectToRunningHub, type ServiceClient } from '../../../runtime/service-api/service-client.js';
import { moduleConnectionString } from '../../../runtime/translate/module-environment.js';
import { startTestContainerd, type TestContainerd } from '../../helpers/containerd.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const manifest = JSON.parse(readFileSync(path.join(repo, 'deployments/examples/ms-quickstart.deployment.json'), 'utf8')) as {
  modulesContent: { $edgeAgent: { 'properties.desired': { modules: Record<string, { settings: { image: string } }> } } };
};
const IMAGE = manifest.modulesContent.$edgeAgent['properties.desired'].modules.SimulatedTemperatureSensor!.settings.image;
const DEVICE = 'edge-1';
const MODULE = 'SimulatedTemperatureSensor';

describe("Microsoft's quickstart on the SimulatedTemperatureSensor stand-in", () => {
  let containerd: TestContainerd;
  let server: Server;
  let service: ServiceClient;
  let stateDir: string;
  let run: Promise<unknown> | undefined;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-standin-'));
    [containerd, server] = await Promise.all([startTestContainerd(), startServer({ stateDir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() })]);
    server.store.identities.createDevice(DEVICE, { edge: true });
    service = connectToRunningHub(stateDir);
    await service.applyConfigurationContent(DEVICE, manifest);
  }, 120_000);

  afterAll(async () => {
    if (run) {
      await execa('ctr', ['--address', containerd.target.address, '-n', 'k8s.io', 'task', 'kill', '-s', 'SIGKILL', 'standin'], { reject: false });
      await run.catch(() => undefined);
    }
    await containerd?.stop();
    service?.close();
    await server?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('imports the stand-in under Microsoft’s reference, marked as a stand-in', async () => {
    const lines: string[] = [];
    const config = { modules: Object.entries(manifest.modulesContent.$edgeAgent['properties.desired'].modules).map(([name, m]) => ({ name, image: m.settings.image })) };
    const [result] = await ensureManifestImages(config, containerd.target, { store: new ImageStore(), onProgress: (l) => lines.push(l) });
    expect(result).toMatchObject({ modules: [MODULE], standIn: true, outcome: { action: 'imported', name: 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5' } });
    expect(lines.at(-1)).toContain("edgemu's stand-in for mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5");
    const image = await new CtrClient(containerd.target).get(`${IMAGE}`);
    expect(image && isEdgemuImage(image)).toBe(true);
    expect(image?.labels['io.edgemu.stand-in']).toBe(IMAGE);
  });

  it('runs the image unchanged: readings reach $upstream in Microsoft’s body shape, and reset answers 200', async () => {
    const identity = server.store.identities.ensureModule(DEVICE, MODULE);
    const connectionString = moduleConnectionString({ hostName: 'localhost', deviceId: DEVICE, moduleId: MODULE, sharedAccessKey: identity.primaryKey, gatewayHostName: `localhost:${server.mqttsPort}` });
    const env = { EdgeHubConnectionString: connectionString, EdgeModuleCACertificateFile: '/etc/edgemu/ca.pem', IOTEDGE_DEVICEID: DEVICE, IOTEDGE_MODULEID: MODULE, SendInterval: '0.2', MessageCount: '-1' };
    run = execa(
      'ctr',
      [
        '--address', containerd.target.address, '-n', 'k8s.io', 'run', '--rm', '--net-host',
        '--mount', `type=bind,src=${server.caFile},dst=/etc/edgemu/ca.pem,options=rbind:ro`,
        ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
        IMAGE, 'standin',
      ],
      { reject: false },
    );
    const readings = await vi.waitFor(
      async () => {
        const events = (await service.recentEvents({ deviceId: DEVICE, limit: 100 })).filter((e) => e.moduleId === MODULE);
        if (events.length < 3) throw new Error(`only ${events.length} readings so far`);
        return events;
      },
      { timeout: 60_000, interval: 250 },
    );
    const first = readings[0]!;
    expect(first.outputName).toBe('temperatureOutput');
    expect(first.endpoint).toMatch(/upstream/i);
    expect(first.properties.sequenceNumber).toBe('1');
    expect(first.properties.batchId).toMatch(/^[0-9a-f-]{36}$/);
    const body = JSON.parse(first.body) as { machine: { temperature: number; pressure: number }; ambient: { temperature: number; humidity: number }; timeCreated: string };
    expect(Object.keys(body)).toEqual(['machine', 'ambient', 'timeCreated']);
    expect(body.machine.temperature).toBeGreaterThan(20);
    expect(body.ambient.humidity).toBeGreaterThanOrEqual(24);
    expect(Number.isNaN(Date.parse(body.timeCreated))).toBe(false);

    const reset = await service.invokeMethod({ deviceId: DEVICE, moduleId: MODULE }, 'reset', null);
    expect(reset.status).toBe(200);
  });

  it('keeps a real image that was imported under the same reference', async () => {
    // Pretend a real image was imported: edgemu's ownership label no longer matches what is there.
    const ctr = new CtrClient(containerd.target);
    await ctr.label(IMAGE, { 'io.edgemu.image': '' });
    const [result] = await ensureManifestImages({ modules: [{ name: MODULE, image: IMAGE }] }, containerd.target, { store: new ImageStore() });
    expect(result).toMatchObject({ standIn: false, outcome: { action: 'kept-foreign' } });
  });
});
