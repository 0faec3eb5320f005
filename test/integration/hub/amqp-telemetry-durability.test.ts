import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import rhea, { type EventContext } from 'rhea';
import { openHubStore } from '../../../runtime/hub/store/hub-store.js';
import { createSasToken } from '../../../runtime/hub/sas.js';
import { cbsConnection } from '../../../bench/amqp-cbs.js';
import { startHubProcess, type HubProcess } from '../../helpers/hub-process.js';

const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanup) c();
});

describe('AMQP telemetry across a SIGKILL of edgemu hub', () => {
  it('loses no message the hub accepted while thousands were in flight', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-amqp-kill-'));
    const setup = openHubStore({ stateDir: dir });
    const key = setup.identities.createDevice('killed').primaryKey;
    setup.close();
    const hub: HubProcess = await startHubProcess(dir);
    cleanup.push(() => {
      hub.proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    const audience = 'localhost/devices/killed';
    const connection = await cbsConnection({ port: hub.amqpsPort, ca: hub.ca, audience, token: createSasToken(audience, key, Math.floor(Date.now() / 1000) + 3600) });
    connection.on('connection_error', () => {});
    connection.on('error', () => {});
    const sender = connection.open_sender({ target: { address: '/devices/killed/messages/events' } });
    await new Promise((resolve) => sender.once('sendable', resolve));
    const total = 20_000;
    const mids = new Map<unknown, string>();
    const accepted: string[] = [];
    let sent = 0;
    const killAt = 3000;
    const exited = new Promise<void>((resolve) => hub.proc.once('exit', () => resolve()));
    await new Promise<void>((resolve) => {
      const pump = () => {
        // Up to 1500 unsettled at a time: more than the hub's window, so it holds a full one.
        while (sent < total && sent - accepted.length < 1500 && sender.sendable()) {
          const mid = `k${sent++}`;
          mids.set(sender.send({ message_id: mid, body: rhea.message.data_section(Buffer.from(mid)) }), mid);
        }
      };
      sender.on('sendable', pump);
      sender.on('accepted', (c: EventContext) => {
        accepted.push(mids.get(c.delivery)!);
        if (accepted.length === killAt) {
          hub.proc.kill('SIGKILL');
          resolve();
        } else pump();
      });
      pump();
    });
    await exited;
    // Dispositions already in this process's socket buffer may still be read: they count too.
    await new Promise((r) => setTimeout(r, 200));
    connection.close();
    expect(accepted.length).toBeGreaterThanOrEqual(killAt);
    expect(sent).toBeGreaterThan(accepted.length); // some were in flight, unsettled, when the hub died

    const store = openHubStore({ stateDir: dir });
    try {
      const storedMids = new Set(store.messages.read({ deviceId: 'killed' }, total).map((m) => m.systemProperties.mid));
      const lost = accepted.filter((mid) => !storedMids.has(mid));
      expect(lost).toEqual([]);
    } finally {
      store.close();
    }
  }, 60_000);
});
