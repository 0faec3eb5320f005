import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskStatusAnswer } from '../../../../runtime/agent/methods/task-registry.js';
import { silentLogger } from '../../../../runtime/log/create-logger.js';
import { startServer, type Server } from '../../../../runtime/server/start-server.js';
import { applyConfigurationContent } from '../../../../runtime/service-api/apply-configuration.js';
import { deviceNamespace } from '../../../../runtime/translate/labels.js';
import { startAzurite, type Azurite } from '../../../helpers/azurite.js';
import { eventually, kubeConfig } from '../../../helpers/k8s.js';
import { sdkClient } from '../../../helpers/service-sdk.js';
import { deleteDeviceNamespace, uniqueDevice } from '../agent-harness.js';

// End to end: the composition root (startServer: hub, service API, agent host with the upload
// table it wires) on the real API server of the test cluster, Azurite as the blob endpoint, and
// the real azure-iothub Client.invokeDeviceMethod(device, '$edgeAgent', …) as a caller. The test
// cluster's modules run on the simulated (KWOK) pool, so their logs are the real readModuleLog
// answer "no logs" — an upload of them must fail saying so; an upload with real log lines is in
// test/integration/agent/methods/upload-methods.test.ts (logs from a context port) and
// test/k8s/cli/up-real-node.test.ts (the sample modules on the real node).
const manifest = (): unknown => JSON.parse(readFileSync(new URL('../../../../deployments/examples/temperature-filter.deployment.json', import.meta.url), 'utf8'));

let kc: KubeConfig;
let stateDir: string;
let server: Server;
let azurite: Azurite;
let client: ReturnType<typeof sdkClient>;
const deviceId = uniqueDevice('uploads');

beforeAll(async () => {
  kc = kubeConfig();
  stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-uploads-hub-'));
  azurite = await startAzurite();
  await azurite.service.getContainerClient('logs').create();
  server = await startServer({
    stateDir,
    mqttsPort: 0,
    httpsPort: 0,
    bindAddress: '127.0.0.1',
    logger: silentLogger(),
    kubeConfig: kc,
    agentOptions: { resyncMs: 1_000, readyTimeoutMs: 10_000, errorBackoffBaseMs: 200, errorBackoffMaxMs: 1_000 },
  });
  server.ensureEdgeDevice(deviceId);
  expect(applyConfigurationContent(server.store, deviceId, manifest())).toMatchObject({ applied: true });
  const policy = server.store.identities.servicePolicy();
  client = sdkClient(`HostName=localhost:${server.httpsPort};SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.primaryKey}`, server.httpsPort!, server.hub.caCert);
  await server.agents!.scan();
  await eventually(
    async () => {
      const r = server.store.twins.get({ deviceId, moduleId: '$edgeAgent' })?.properties.reported as { lastDesiredStatus?: { code: number }; modules?: Record<string, { runtimeStatus: string }> } | undefined;
      return r?.lastDesiredStatus?.code === 200 && ['SimulatedTemperatureSensor', 'filter'].every((m) => r.modules?.[m]?.runtimeStatus === 'running');
    },
    { timeoutMs: 90_000, what: 'the sample modules running' },
  );
}, 150_000);
afterAll(async () => {
  await server?.close();
  await deleteDeviceNamespace(kc, deviceId).catch(() => undefined);
  await azurite?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
}, 60_000);

const invoke = (methodName: string, payload: unknown) =>
  client.invokeDeviceMethod(deviceId, '$edgeAgent', { methodName, payload, responseTimeoutInSeconds: 30, connectTimeoutInSeconds: 5 }).then((r) => r.result as { status: number; payload: unknown });

/** Polls GetTaskStatus through the hub; returns every status seen, the last one final. */
async function statusesOf(correlationId: string): Promise<TaskStatusAnswer[]> {
  const seen: TaskStatusAnswer[] = [];
  await eventually(
    async () => {
      const r = await invoke('GetTaskStatus', { schemaVersion: '1.0', correlationId });
      expect(r.status).toBe(200);
      seen.push(r.payload as TaskStatusAnswer);
      return seen.at(-1)!.status !== 'Running';
    },
    { timeoutMs: 60_000, intervalMs: 100, what: `task ${correlationId} finished` },
  );
  return seen;
}

async function blobsIn(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const b of azurite.service.getContainerClient('logs').listBlobsFlat({ prefix })) names.push(b.name);
  return names;
}

describe("$edgeAgent's upload methods through the hub, wired by startServer", () => {
  it('lists the upload methods among the supported commands', async () => {
    expect(await invoke('Reboot', null)).toEqual({
      status: 400,
      payload: { message: "Command 'Reboot' not found. The supported commands are - ping,RestartModule,GetModuleLogs,UploadModuleLogs,UploadSupportBundle,GetTaskStatus" },
    });
  });

  it('uploads a support bundle: Running, then Completed, and the zip has the twins, the real events and why the modules have no logs', async () => {
    const answer = await invoke('UploadSupportBundle', { schemaVersion: '1.0', sasUrl: azurite.containerSasUrl('logs') });
    expect(answer.status).toBe(200);
    const started = answer.payload as TaskStatusAnswer;
    expect(started).toMatchObject({ status: 'Running', message: '' });
    const seen = await statusesOf(started.correlationId);
    expect(seen.at(-1)).toEqual({ status: 'Completed', message: '', correlationId: started.correlationId });
    expect(seen.slice(0, -1).every((s) => s.status === 'Running')).toBe(true);

    const [name] = await blobsIn(`localhost/${deviceId}/support-bundle-`);
    expect(name).toMatch(/\.zip$/);
    const files = Object.fromEntries(Object.entries(unzipSync(await azurite.service.getContainerClient('logs').getBlobClient(name!).downloadToBuffer())).map(([k, v]) => [k, strFromU8(v)]));
    expect(JSON.parse(files['twins/edgeAgent.json']!)).toMatchObject({ deviceId, moduleId: '$edgeAgent', properties: { reported: { lastDesiredStatus: { code: 200 } } } });
    expect(files['status.txt']).toMatch(/filter\s+.*running/);
    const events = JSON.parse(files['cluster/events.json']!) as Array<{ metadata: { namespace: string } }>;
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.metadata.namespace === deviceNamespace(deviceId))).toBe(true);
    expect(files['logs/filter.unavailable.txt']).toMatch(/runs on the simulated pool/);
  });

  it('fails an upload of module logs that have none (simulated pool) with the reason, never an empty success', async () => {
    const answer = await invoke('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: '^filter$', filter: { tail: 10 } }], sasUrl: azurite.containerSasUrl('logs') });
    expect(answer).toMatchObject({ status: 200, payload: { status: 'Running', message: '' } });
    const final = (await statusesOf((answer.payload as TaskStatusAnswer).correlationId)).at(-1)!;
    expect(final.status).toBe('Failed');
    expect(final.message).toMatch(/^Task upload logs failed because of error module filter runs on the simulated pool/);
    expect(await blobsIn(`localhost/${deviceId}/filter-`)).toEqual([]);
  });

  it('fails an upload to a SAS URL signed with the wrong key with the blob service\'s reason', async () => {
    const badSas = azurite.containerSasUrl('logs', { key: Buffer.alloc(32, 7).toString('base64') });
    const answer = await invoke('UploadSupportBundle', { schemaVersion: '1.0', sasUrl: badSas, edgeRuntimeOnly: true });
    expect(answer).toMatchObject({ status: 200, payload: { status: 'Running' } });
    const final = (await statusesOf((answer.payload as TaskStatusAnswer).correlationId)).at(-1)!;
    expect(final.status).toBe('Failed');
    expect(final.message).toMatch(/^Task upload support bundle failed because of error the blob service refused the SAS URL \(403/);
  });

  it('answers a bad payload 400 naming the field and an unknown correlation id Unknown', async () => {
    expect(await invoke('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: 'filter' }] })).toEqual({ status: 400, payload: { message: 'sasUrl: required, a non-empty string (got undefined)' } });
    expect(await invoke('GetTaskStatus', { schemaVersion: '1.0', correlationId: 'never-started' })).toEqual({ status: 200, payload: { status: 'Unknown', message: '', correlationId: 'never-started' } });
  });
});
