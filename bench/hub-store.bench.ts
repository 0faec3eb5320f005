/**
 * The hub's durable telemetry path alone (`npm run bench -- hub-store`; docs/hub.md
 * "Performance"): `MessageStore.persist` of 128 B messages into hub.db in a temp dir, the way
 * the hub calls it — all messages of one event-loop turn share one commit — for batch sizes
 * 1, 32 (one client with 32 in flight) and 2,048 (100 clients), with the store full so that
 * every commit also prunes (the default bound, 100,000 messages). Prints CPU µs per message.
 * STORE_BENCH_BATCH=N STORE_BENCH_MESSAGES=M runs one size only: a steady figure under
 * `valgrind --tool=callgrind` (instructions per message), as noise-free as it gets on a shared
 * machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openHubStore } from '../runtime/hub/store/hub-store.js';
import type { HubMessage } from '../runtime/hub/store/message-store.js';

const MAX_MESSAGES = 100_000;
const body = Buffer.alloc(128, 'x');
const message = (i: number): HubMessage => ({
  deviceId: `pub${i % 100}`,
  body,
  systemProperties: {},
  properties: {},
  enqueuedTimeUtc: '2026-12-02T01:00:00.000Z',
});

async function run(batch: number, total: number, fill: boolean): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-store-bench-'));
  const store = openHubStore({ stateDir: dir, maxMessages: MAX_MESSAGES });
  try {
    if (fill) for (let i = 0; i < MAX_MESSAGES; i += 5000) store.messages.appendMany(Array.from({ length: 5000 }, (_, j) => ({ message: message(i + j), endpoint: '$upstream' })));
    const t0 = process.cpuUsage();
    for (let sent = 0; sent < total; sent += batch) {
      const turn: Array<Promise<unknown>> = [];
      for (let i = 0; i < batch; i++) turn.push(store.messages.persist(message(sent + i)));
      await Promise.all(turn);
    }
    const cpu = process.cpuUsage(t0);
    return (cpu.user + cpu.system) / total;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const only = process.env.STORE_BENCH_BATCH;
if (only) {
  const n = Number(process.env.STORE_BENCH_MESSAGES ?? 20_000);
  process.stdout.write(`batch ${only}: ${(await run(Number(only), n, false)).toFixed(2)} µs/msg (${n} messages, empty store)\n`);
} else {
  process.stdout.write('| messages per commit | CPU µs/msg (store full, pruning) |\n|---|---|\n');
  for (const [batch, total] of [
    [1, 20_000],
    [32, 100_000],
    [2048, 200_000],
  ] as const) {
    process.stdout.write(`| ${batch} | ${(await run(batch, total, true)).toFixed(2)} |\n`);
  }
}
