import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentMethodContext, AgentMethodTable } from '../../../../runtime/agent/methods/agent-method.js';
import { HttpBlobUploader } from '../../../../runtime/agent/methods/blob-upload.js';
import { supportBundleSources } from '../../../../runtime/agent/methods/support-bundle-sources.js';
import { TaskRegistry, type TaskStatusAnswer } from '../../../../runtime/agent/methods/task-registry.js';
import { createAgentMethodDispatch } from '../../../../runtime/agent/methods/method-dispatch.js';
import { createUploadMethods } from '../../../../runtime/agent/methods/upload-methods.js';
import { wireUploadMethods } from '../../../../runtime/agent/methods/wire-upload-methods.js';
import { systemClock } from '../../../../runtime/clock.js';
import { EdgemuError } from '../../../../runtime/errors.js';
import { openHubStore, type HubStore } from '../../../../runtime/hub/index.js';
import { silentLogger } from '../../../../runtime/log/create-logger.js';
import { startAzurite, type Azurite } from '../../../helpers/azurite.js';

// The upload table through the agent's method dispatch against a real blob endpoint (Azurite) and
// a real hub store. The module logs come from the context port and the cluster events from a list
// port standing in for the API server; the end-to-end test through the hub, the agent host and a
// real API server is test/k8s/agent/upload-methods.test.ts.
const LINES = Array.from({ length: 40 }, (_, i) => `2026-12-02T01:00:${String(i).padStart(2, '0')}.000000000Z <${i % 10 === 0 ? 3 : 6}> sensor: message ${i}`);

const context = (): AgentMethodContext => ({
  deviceId: 'edge-1',
  clock: systemClock,
  logger: silentLogger(),
  moduleNames: () => Promise.resolve(['sensor', 'filter']),
  readModuleLog: (moduleId, query) => {
    if (moduleId === 'filter') return Promise.reject(new EdgemuError('AGENT_LOGS_UNAVAILABLE', 'module filter runs on the simulated pool (a KWOK pod): it has no logs'));
    const lines = query.tail === undefined ? LINES : LINES.slice(-query.tail);
    return Promise.resolve({ moduleId, text: `${lines.join('\n')}\n` });
  },
});

describe('the upload methods against Azurite', () => {
  let azurite: Azurite;
  let stateDir: string;
  let store: HubStore;
  let tasks: TaskRegistry;
  let methods: AgentMethodTable;
  let wired: ReturnType<typeof wireUploadMethods>;
  let call: (name: string, payload: unknown, c?: AgentMethodContext) => Promise<{ status: number; payload?: unknown }>;
  let wiredCall: typeof call;
  const ctx = context();

  beforeAll(async () => {
    azurite = await startAzurite();
    await azurite.service.getContainerClient('logs').create();
    stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-upload-test-'));
    store = openHubStore({ stateDir });
    store.identities.createDevice('edge-1', { edge: true });
    store.twins.patchReported({ deviceId: 'edge-1', moduleId: '$edgeAgent' }, { schemaVersion: '1.0', lastDesiredStatus: { code: 200, description: '' }, modules: { sensor: { status: 'running', runtimeStatus: 'running', restartCount: 0 } } });
    tasks = new TaskRegistry({ clock: systemClock });
    const events = [{ apiVersion: 'v1', kind: 'Event', metadata: { name: 'sensor.1', namespace: 'edgemu-edge-1' }, reason: 'Scheduled', message: 'Successfully assigned edgemu-edge-1/sensor to node-1' }];
    methods = createUploadMethods({
      hubName: 'localhost',
      blobs: new HttpBlobUploader({ clock: systemClock }),
      tasks,
      bundle: supportBundleSources(store, { list: () => Promise.resolve(events) }),
    });
    wired = wireUploadMethods({ hubHostName: 'myhub.example.net', store, kube: { list: () => Promise.resolve(events) }, clock: systemClock });
    const dispatch = createAgentMethodDispatch([methods]);
    const wiredDispatch = createAgentMethodDispatch([wired.methods]);
    call = (name, payload, c = ctx) => dispatch.invoke(name, payload, c);
    wiredCall = (name, payload, c = ctx) => wiredDispatch.invoke(name, payload, c);
  }, 60_000);
  afterAll(async () => {
    await tasks?.close();
    await wired?.close();
    store?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    await azurite?.stop();
  });

  const finalStatus = async (correlationId: string): Promise<TaskStatusAnswer> => {
    await tasks.settled(correlationId);
    const answer = await call('GetTaskStatus', { schemaVersion: '1.0', correlationId }, ctx);
    expect(answer.status).toBe(200);
    return answer.payload as TaskStatusAnswer;
  };
  const blobsIn = async (prefix: string) => {
    const names: string[] = [];
    for await (const b of azurite.service.getContainerClient('logs').listBlobsFlat({ prefix })) names.push(b.name);
    return names;
  };

  it('uploads the filtered logs as a blob; GetTaskStatus goes Running → Completed', async () => {
    const answer = await call('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: 'sens', filter: { tail: 20, loglevel: 6 } }], sasUrl: azurite.containerSasUrl('logs') }, ctx);
    expect(answer.status).toBe(200);
    const started = answer.payload as TaskStatusAnswer;
    expect(started).toMatchObject({ status: 'Running', message: '' });
    expect((await call('GetTaskStatus', { schemaVersion: '1.0', correlationId: started.correlationId }, ctx)).payload).toEqual(started);
    expect(await finalStatus(started.correlationId)).toEqual({ status: 'Completed', message: '', correlationId: started.correlationId });

    const [name] = await blobsIn('localhost/edge-1/sensor-');
    expect(name).toMatch(/^localhost\/edge-1\/sensor-\d{4}-\d{2}-\d{2}--\d{2}-\d{2}-\d{2}\.log$/);
    const blob = azurite.service.getContainerClient('logs').getBlobClient(name!);
    const text = (await blob.downloadToBuffer()).toString();
    const lines = text.trim().split('\n');
    // GetModuleLogs' order (edgeAgent's LogsProcessor): level first, then the last 20 of those.
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('<6> sensor: message 18'); // the line as the module wrote it
    expect(lines.every((l) => l.startsWith('<6> '))).toBe(true);
    expect((await blob.getProperties()).contentType).toBe('text/plain');
  });

  it('uploads gzipped JSON entries with content type and encoding set', async () => {
    expect(Object.keys(methods).sort()).toEqual(['gettaskstatus', 'uploadmodulelogs', 'uploadsupportbundle']); // lower case, for the dispatch
    const started = (await call('UploadModuleLogs', { schemaVersion: '1.0', items: { id: '^sensor$', filter: { tail: 3 } }, encoding: 'gzip', contentType: 'json', sasUrl: azurite.containerSasUrl('logs') }, ctx)).payload as TaskStatusAnswer;
    expect((await finalStatus(started.correlationId)).status).toBe('Completed');
    const [name] = (await blobsIn('localhost/edge-1/sensor-')).filter((n) => n.endsWith('.json.gz'));
    const blob = azurite.service.getContainerClient('logs').getBlobClient(name!);
    expect(await blob.getProperties()).toMatchObject({ contentType: 'application/json', contentEncoding: 'gzip' });
    const entries = JSON.parse(gunzipSync(await blob.downloadToBuffer()).toString()) as Array<{ moduleId: string; id: string; text: string; loglevel: number; timestamp: string }>;
    expect(entries.map((e) => e.text)).toEqual(['sensor: message 37', 'sensor: message 38', 'sensor: message 39']);
    expect(entries[0]!.timestamp).toBe('2026-12-02T01:00:37.000Z');
    expect(entries.every((e) => e.moduleId === 'sensor' && e.id === 'sensor' && e.loglevel === 6)).toBe(true);
  });

  it('fails the task with the reason when the SAS URL is signed with the wrong key', async () => {
    const badSas = azurite.containerSasUrl('logs', { key: Buffer.alloc(32, 7).toString('base64') });
    const started = (await call('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: 'sensor' }], sasUrl: badSas }, ctx)).payload as TaskStatusAnswer;
    expect(started.status).toBe('Running');
    const final = await finalStatus(started.correlationId);
    expect(final.status).toBe('Failed');
    expect(final.message).toMatch(/^Task upload logs failed because of error the blob service refused the SAS URL \(403 (AuthorizationFailure|AuthenticationFailed)/);
    expect(final.message).toContain('generate a new SAS URL');
  });

  it('fails the task at once for an expired SAS URL, and for a container that does not exist', async () => {
    const expired = (await call('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: 'sensor' }], sasUrl: azurite.containerSasUrl('logs', { expiresInMs: -60_000 }) }, ctx)).payload as TaskStatusAnswer;
    expect((await finalStatus(expired.correlationId)).message).toMatch(/the SAS URL expired at .*; generate a new one/);
    const missing = (await call('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: 'sensor' }], sasUrl: azurite.containerSasUrl('nope') }, ctx)).payload as TaskStatusAnswer;
    expect((await finalStatus(missing.correlationId)).message).toContain('container "nope" was not found');
  });

  it('fails the task naming the module when a matched module has no logs, never an empty success', async () => {
    const started = (await call('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: '.*' }], sasUrl: azurite.containerSasUrl('logs') }, ctx)).payload as TaskStatusAnswer;
    expect(await finalStatus(started.correlationId)).toMatchObject({ status: 'Failed', message: expect.stringContaining('module filter runs on the simulated pool') as unknown });
  });

  it('answers a bad payload 400 naming the field, with no task started', async () => {
    expect(await call('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: 'sensor' }] }, ctx)).toEqual({ status: 400, payload: { message: expect.stringContaining('sasUrl: required') as unknown } });
    expect(await call('UploadSupportBundle', null, ctx)).toEqual({ status: 400, payload: { message: 'Request payload not found' } });
    expect(await call('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: '^nothing$' }], sasUrl: azurite.containerSasUrl('logs') }, ctx)).toEqual({
      status: 400,
      payload: { message: 'items[].id: no module of the deployment matches (^nothing$); the modules are: sensor, filter' },
    });
    expect((await call('GetTaskStatus', { schemaVersion: '1.0', correlationId: 'never-started' }, ctx)).payload).toEqual({ status: 'Unknown', message: '', correlationId: 'never-started' });
  });

  it('uploads large logs as blocks (Put Block + Put Block List)', async () => {
    const blobs = new HttpBlobUploader({ clock: systemClock, maxSingleUploadBytes: 1024, blockBytes: 700 });
    const body = Buffer.from(LINES.join('\n'));
    const { url } = await blobs.upload(azurite.containerSasUrl('logs'), 'localhost/edge-1/blocks.log', body, { contentType: 'text/plain' });
    expect(url).toBe(`${azurite.endpoint}/logs/localhost/edge-1/blocks.log`);
    const blob = azurite.service.getContainerClient('logs').getBlockBlobClient('localhost/edge-1/blocks.log');
    expect((await blob.downloadToBuffer()).equals(body)).toBe(true);
    expect((await blob.getBlockList('committed')).committedBlocks).toHaveLength(Math.ceil(body.length / 700));
  });

  it('uploads a support bundle zip with the logs, both twins, the status table and the events', async () => {
    const answer = await call('UploadSupportBundle', { schemaVersion: '1.0', sasUrl: azurite.containerSasUrl('logs') }, ctx);
    const started = answer.payload as TaskStatusAnswer;
    expect(answer.status).toBe(200);
    expect(started.status).toBe('Running');
    expect(await finalStatus(started.correlationId)).toMatchObject({ status: 'Completed' });
    const [name] = await blobsIn('localhost/edge-1/support-bundle-');
    expect(name).toMatch(/support-bundle-\d{4}-\d{2}-\d{2}--\d{2}-\d{2}-\d{2}\.zip$/);
    const blob = azurite.service.getContainerClient('logs').getBlobClient(name!);
    expect(await blob.getProperties()).toMatchObject({ contentType: 'application/zip' });
    const files = Object.fromEntries(Object.entries(unzipSync(await blob.downloadToBuffer())).map(([k, v]) => [k, strFromU8(v)]));
    expect(Object.keys(files).sort()).toEqual(['bundle.json', 'cluster/events.json', 'logs/filter.unavailable.txt', 'logs/sensor.log', 'status.txt', 'twins/edgeAgent.json', 'twins/edgeHub.json']);
    expect(files['logs/sensor.log']!.trim().split('\n')).toHaveLength(40);
    expect(JSON.parse(files['twins/edgeAgent.json']!)).toMatchObject({ deviceId: 'edge-1', moduleId: '$edgeAgent', properties: { reported: { lastDesiredStatus: { code: 200 } } } });
    expect(JSON.parse(files['twins/edgeHub.json']!)).toMatchObject({ deviceId: 'edge-1', moduleId: '$edgeHub' });
    expect(files['status.txt']).toMatch(/sensor\s+\S+\s+running/);
    expect(JSON.parse(files['cluster/events.json']!)[0]).toMatchObject({ reason: 'Scheduled' });
  });

  it('wired from the agent host\'s pieces, names blobs after the hub\'s first host label; close fails what still runs', async () => {
    const status = async (correlationId: string, c: AgentMethodContext = ctx) => (await wiredCall('GetTaskStatus', { schemaVersion: '1.0', correlationId }, c)).payload as TaskStatusAnswer;
    const sasUrl = azurite.containerSasUrl('logs');
    const done = (await wiredCall('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: 'sensor', filter: { tail: 1 } }], sasUrl }, ctx)).payload as TaskStatusAnswer;
    const deadline = Date.now() + 20_000;
    while ((await status(done.correlationId)).status === 'Running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await status(done.correlationId)).toEqual({ status: 'Completed', message: '', correlationId: done.correlationId });
    expect(await blobsIn('myhub/edge-1/sensor-')).toHaveLength(1);

    const stuck: AgentMethodContext = { ...ctx, readModuleLog: () => new Promise(() => undefined) };
    const hanging = (await wiredCall('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: 'sensor' }], sasUrl }, stuck)).payload as TaskStatusAnswer;
    await wired.close();
    expect(await status(hanging.correlationId)).toEqual({ status: 'Failed', message: 'Task upload logs failed because of error the agent stopped', correlationId: hanging.correlationId });
  });
});
