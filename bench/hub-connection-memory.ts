/**
 * Where the hub's memory per idle TLS connection goes (docs/hub.md "Performance"; not part of
 * `npm run bench`): `node bin/run-ts.js bench/hub-connection-memory.ts`. The hub runs as its own
 * process (bench/hub-process.ts) with a small preload that, on SIGWINCH, runs a full GC and
 * writes `process.memoryUsage()`, VmRSS and V8's heap spaces (`v8.getHeapSpaceStatistics()`,
 * Node docs "v8") to a file. One client connects and leaves (one-time set-up is not counted),
 * then BENCH_IDLE_CLIENTS (2000) SDK-like clients (CONNECT + 3 SUBSCRIBEs, bench/mqtt-load.ts)
 * connect, and after 3 s the difference is divided by their number:
 * - old space live: the JS objects each connection keeps (after the GC);
 * - old / new space physical: heap pages the process touched — new space (the young generation,
 *   a fixed 2 × 16 MB at most) fills with the connect burst's garbage whatever it keeps;
 * - native: VmRSS minus the heap's pages (OpenSSL's connection state, Node's TLS and TCP
 *   handles, libuv, malloc's free lists).
 * BENCH_HEAP_SNAPSHOT=1 also writes heap snapshots before and after (`v8.writeHeapSnapshot`)
 * and prints the self size per connection by constructor, largest first (BENCH_TOP rows, 30).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeDevices } from './hub-devices.js';
import { startHubProcess } from './hub-process.js';
import { lineChild } from './line-child.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_IDLE_CLIENTS ?? 2000);
const SNAPSHOT = process.env.BENCH_HEAP_SNAPSHOT === '1';
const TOP = Number(process.env.BENCH_TOP ?? 30);

const PRELOAD = `import v8 from 'node:v8';
import fs from 'node:fs';
const out = process.env.EDGEMU_MEMORY_DIR;
let n = 0;
process.on('SIGWINCH', () => {
  globalThis.gc();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, { used: s.space_used_size, physical: s.physical_space_size }]));
  const rssKb = Number(/VmRSS:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
  if (process.env.EDGEMU_MEMORY_SNAPSHOT === '1') v8.writeHeapSnapshot(out + '/' + n + '.heapsnapshot');
  fs.writeFileSync(out + '/' + n++ + '.json', JSON.stringify({ rssKb, memory: process.memoryUsage(), spaces }));
});
`;

interface Mark {
  rssKb: number;
  spaces: Record<string, { used: number; physical: number }>;
}

/** Self size and count by constructor (node type and name) in a heap snapshot (V8's JSON format). */
function byConstructor(file: string): Map<string, { size: number; count: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = s.snapshot.meta.node_fields;
  const w = fields.length;
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < s.nodes.length; i += w) {
    const type = types[s.nodes[i + ti]!]!;
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${s.strings[s.nodes[i + ni]!]}` : type;
    const e = out.get(key) ?? { size: 0, count: 0 };
    e.size += s.nodes[i + si]!;
    e.count++;
    out.set(key, e);
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-connmem-'));
  const marks = path.join(dir, 'marks');
  const preload = path.join(dir, 'preload.mjs');
  writeFileSync(preload, PRELOAD);
  mkdirSync(marks);
  const names = Array.from({ length: N }, (_, i) => `idle${i}`);
  const devices = [...(await makeDevices(dir, names)).values()];
  process.env.EDGEMU_MEMORY_DIR = marks;
  process.env.EDGEMU_MEMORY_SNAPSHOT = SNAPSHOT ? '1' : '0';
  const hub = await startHubProcess(dir, ['--expose-gc', '--import', pathToFileURL(preload).href]);
  const load = lineChild(spawn(process.execPath, [path.join(here, '..', 'bin', 'run-ts.js'), path.join(here, 'mqtt-load.ts')], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const url = `mqtts://127.0.0.1:${hub.mqttsPort}`;
  let taken = 0;
  const mark = async (): Promise<Mark> => {
    const file = path.join(marks, `${taken++}.json`);
    process.kill(hub.pid, 'SIGWINCH');
    while (!existsSync(file)) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 100)); // the file is written in one call; let it finish
    return JSON.parse(readFileSync(file, 'utf8')) as Mark;
  };
  const load0 = loadavg()[0]!;
  try {
    await load.ask({ cmd: 'connect', url, ca: hub.ca, clients: devices.slice(0, 1), payloadBytes: 128 });
    await load.ask({ cmd: 'close' });
    await new Promise((r) => setTimeout(r, 1000));
    const before = await mark();
    await load.ask({ cmd: 'connect', url, ca: hub.ca, clients: devices, payloadBytes: 128 });
    await new Promise((r) => setTimeout(r, 3000));
    const after = await mark();
    const per = (bytes: number) => `${(bytes / 1024 / N).toFixed(1)} KB`;
    const space = (name: string, key: 'used' | 'physical') => (after.spaces[name]?.[key] ?? 0) - (before.spaces[name]?.[key] ?? 0);
    const heapPhysical = Object.keys(after.spaces).reduce((sum, name) => sum + space(name, 'physical'), 0);
    const rss = (after.rssKb - before.rssKb) * 1024;
    process.stdout.write(`edgemu hub, ${N} idle TLS clients (CONNECT + 3 SUBSCRIBEs), ${new Date().toISOString()}, load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}\n`);
    for (const [what, bytes] of [
      ['VmRSS', rss],
      ['old space live (JS objects kept)', space('old_space', 'used')],
      ['old space physical', space('old_space', 'physical')],
      ['new space physical (young generation touched)', space('new_space', 'physical')],
      ['code space physical', space('code_space', 'physical')],
      ['native (VmRSS − heap pages)', rss - heapPhysical],
    ] as Array<[string, number]>)
      process.stdout.write(`  ${what.padEnd(48)} ${per(bytes).padStart(9)} per connection\n`);
    if (SNAPSHOT) {
      const a = byConstructor(path.join(marks, '0.heapsnapshot'));
      const b = byConstructor(path.join(marks, '1.heapsnapshot'));
      const rows = [...b].map(([k, e]) => [k, (e.size - (a.get(k)?.size ?? 0)) / N, (e.count - (a.get(k)?.count ?? 0)) / N] as const).sort((x, y) => y[1] - x[1]);
      const total = rows.reduce((s, r) => s + r[1], 0);
      process.stdout.write(`\nheap snapshot, self size per connection by constructor (total ${total.toFixed(0)} B):\n`);
      for (const [k, size, count] of rows.slice(0, TOP)) process.stdout.write(`  ${size.toFixed(0).padStart(6)} B  ${count.toFixed(2).padStart(6)}×  ${k}\n`);
    }
  } finally {
    load.child.kill();
    hub.proc.kill('SIGTERM');
    await new Promise((r) => hub.proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
