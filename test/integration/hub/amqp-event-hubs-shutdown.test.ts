import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openHubStore } from '../../../runtime/hub/store/hub-store.js';
import { eventHubName, formatEventHubsConnectionString } from '../../../runtime/hub/connection-string.js';
import { startHubProcess, type HubProcess } from '../../helpers/hub-process.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'event-hubs-reader.mjs');
const EVENTS = 200;
const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanup) c();
});

/** `edgemu hub` in its own process over a store holding EVENTS telemetry messages from a few devices. */
async function hubWithEvents(): Promise<{ hub: HubProcess; connectionString: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-eh-sigterm-'));
  const store = openHubStore({ stateDir: dir });
  const now = new Date().toISOString();
  store.messages.appendMany(Array.from({ length: EVENTS }, (_, i) => ({ endpoint: '$upstream', message: { deviceId: `dev${i % 8}`, body: Buffer.from(`{"i":${i}}`), systemProperties: { mid: String(i) }, properties: {}, enqueuedTimeUtc: now } })));
  const policy = store.identities.servicePolicy();
  store.close();
  const hub = await startHubProcess(dir);
  cleanup.push(() => {
    hub.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const connectionString = formatEventHubsConnectionString({ hostName: 'localhost', amqpsPort: hub.amqpsPort, policyName: policy.name, key: policy.primaryKey, entity: eventHubName(hub.hostName) });
  return { hub, connectionString };
}

/** The reader fixture; resolves with it once it printed `line` (a JSON key). */
async function reader(hub: HubProcess, connectionString: string, hold: boolean, until: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [fixture], { env: { ...process.env, EVENT_HUBS_CONNECTION_STRING: connectionString, EXPECTED: String(EVENTS), HOLD: hold ? '1' : '0', NODE_EXTRA_CA_CERTS: hub.caFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.push(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{') && until in (JSON.parse(line) as object)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the reader exited with ${code}: ${stderr}`)));
  });
  return child;
}

/** Milliseconds from SIGTERM to the hub process's exit, or Infinity after `withinMs`. */
async function sigterm(hub: HubProcess, withinMs: number): Promise<{ ms: number; code: number | null }> {
  const t0 = Date.now();
  const exited = new Promise<{ ms: number; code: number | null }>((resolve) => hub.proc.once('exit', (code) => resolve({ ms: Date.now() - t0, code })));
  hub.proc.kill('SIGTERM');
  return Promise.race([exited, new Promise<{ ms: number; code: number | null }>((resolve) => setTimeout(() => resolve({ ms: Infinity, code: null }), withinMs))]);
}

describe('edgemu hub stops on SIGTERM after an Event Hubs read', () => {
  it('exits within a few seconds while an EventHubConsumerClient that read every event is still connected', async () => {
    const { hub, connectionString } = await hubWithEvents();
    await reader(hub, connectionString, true, 'read');
    const { ms, code } = await sigterm(hub, 5000);
    expect(ms).toBeLessThan(5000);
    expect(code).toBe(0);
  }, 60_000);

  it('exits within a few seconds right after the consumer closed', async () => {
    const { hub, connectionString } = await hubWithEvents();
    await reader(hub, connectionString, false, 'closed');
    const { ms, code } = await sigterm(hub, 5000);
    expect(ms).toBeLessThan(5000);
    expect(code).toBe(0);
  }, 60_000);
});
