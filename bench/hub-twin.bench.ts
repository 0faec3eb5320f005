/**
 * Desired-property delivery latency (`npm run bench -- hub`, docs/hub.md "Performance"): 1,000
 * module clients (MQTT.js in a separate load process) subscribed to desired patches; the hub
 * (in this process, through `startHub`) patches their twins at ~2,000 patches/s and the clients
 * report p50/p99 from patch to receipt. The hub's ingest and memory next to mosquitto are in
 * hub.bench.ts. The same file is the load generator: `hub-twin.bench.ts --role desired <spec.json>`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';

const here = path.dirname(fileURLToPath(import.meta.url));

interface ClientSpec {
  clientId: string;
  username?: string;
  password?: string;
}
interface LoadSpec {
  url: string;
  ca?: string;
  clients: ClientSpec[];
  /** idle: connect + subscribe and wait; desired: record desired-patch latency; publish: send QoS 1 telemetry */
  perClient?: number;
  window?: number;
  payloadBytes?: number;
  expectPatches?: number;
}

// ---------------------------------------------------------------- load generator (child role)

async function connectAll(spec: LoadSpec, concurrency = 50): Promise<MqttClient[]> {
  const clients: MqttClient[] = new Array(spec.clients.length);
  let next = 0;
  const worker = async () => {
    while (next < spec.clients.length) {
      const i = next++;
      const c = spec.clients[i]!;
      clients[i] = await mqtt.connectAsync(spec.url, {
        ...(spec.ca ? { ca: spec.ca } : {}),
        clientId: c.clientId,
        ...(c.username ? { username: c.username } : {}),
        ...(c.password ? { password: c.password } : {}),
        protocolVersion: 4,
        clean: false,
        keepalive: 180,
        reconnectPeriod: 0,
        connectTimeout: 60_000,
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return clients;
}

const send = (msg: unknown) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const waitForLine = () =>
  new Promise<string>((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        process.stdin.off('data', onData);
        resolve(buf.slice(0, i));
      }
    };
    process.stdin.on('data', onData);
  });

async function runRole(role: string, specFile: string): Promise<void> {
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as LoadSpec;
  if (role === 'idle') {
    const clients = await connectAll(spec);
    await Promise.all(clients.map((c, i) => c.subscribeAsync(['$iothub/twin/res/#', '$iothub/methods/POST/#', `devices/${spec.clients[i]!.clientId}/messages/devicebound/#`])));
    send({ connected: clients.length });
    await waitForLine();
    await Promise.all(clients.map((c) => c.endAsync(true)));
  } else if (role === 'desired') {
    const clients = await connectAll(spec);
    const latencies: number[] = [];
    let done: () => void;
    const finished = new Promise<void>((r) => (done = r));
    for (const c of clients) {
      c.on('message', (_topic, payload) => {
        const sentAt = (JSON.parse(payload.toString()) as { sentAt: number }).sentAt;
        latencies.push(performance.timeOrigin + performance.now() - sentAt);
        if (latencies.length === spec.expectPatches) done();
      });
    }
    await Promise.all(clients.map((c) => c.subscribeAsync('$iothub/twin/PATCH/properties/desired/#')));
    send({ connected: clients.length });
    await finished;
    send({ latencies });
    await Promise.all(clients.map((c) => c.endAsync(true)));
  }
  process.exit(0);
}

// ---------------------------------------------------------------- orchestration (parent)

interface Child {
  next(): Promise<Record<string, unknown>>;
  tell(line: string): void;
  done: Promise<void>;
}

function startLoad(role: string, spec: LoadSpec, dir: string): Child {
  const specFile = path.join(dir, `${role}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const child = spawn(process.execPath, [path.join(here, '..', 'bin', 'run-ts.js'), fileURLToPath(import.meta.url), '--role', role, specFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const done = new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load process ${role} exited with ${code}`)))));
  return {
    next: () => {
      const l = lines.shift();
      return l !== undefined
        ? Promise.resolve(JSON.parse(l) as Record<string, unknown>)
        : Promise.race([new Promise<Record<string, unknown>>((r) => waiters.push((x) => r(JSON.parse(x) as Record<string, unknown>))), done.then(() => ({}) as Record<string, unknown>)]);
    },
    tell: (line) => child.stdin.write(`${line}\n`),
    done,
  };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const table = (rows: Array<[string, string, string]>) => {
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |\n`);
};

async function main(): Promise<void> {
  const { startHub } = await import('../runtime/hub/start-hub.js');
  const { openHubStore } = await import('../runtime/hub/store/hub-store.js');
  const { createSasToken } = await import('../runtime/hub/sas.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-bench-'));
  const results: Array<[string, string, string]> = [['benchmark', 'result', 'aim']];
  const store = openHubStore({ stateDir: dir, maxMessages: 1_000_000 });
  const hub = await startHub({ stateDir: dir, mqttsPort: 0, bindAddress: '127.0.0.1', store });
  const url = `mqtts://localhost:${hub.mqttsPort}`;
  const exp = Math.floor(Date.now() / 1000) + 7200;
  try {
    // desired-update latency with 1,000 connected module clients
    {
      const n = Number(process.env.BENCH_MODULE_CLIENTS ?? 1000);
      hub.store.identities.createDevice('gw', { edge: true });
      const specs: ClientSpec[] = hub.store.transaction(() =>
        Array.from({ length: n }, (_, i) => {
          const m = hub.store.identities.createModule('gw', `mod${i}`);
          return { clientId: `gw/mod${i}`, username: `localhost/gw/mod${i}/?api-version=2021-04-12`, password: createSasToken(`localhost/devices/gw/modules/mod${i}`, m.primaryKey, exp) };
        }),
      );
      const patches = n * 2;
      const load = startLoad('desired', { url, ca: hub.caCert, clients: specs, expectPatches: patches }, dir);
      await load.next();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < patches; i++) {
        hub.store.twins.patchDesired({ deviceId: 'gw', moduleId: `mod${i % n}` }, { sentAt: performance.timeOrigin + performance.now(), round: Math.floor(i / n) });
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 10)); // ~2,000 patches/s
      }
      const { latencies } = (await load.next()) as { latencies: number[] };
      const cpu = process.cpuUsage(cpu0);
      await load.done;
      const sorted = latencies.sort((a, b) => a - b);
      results.push([`desired-patch delivery latency (${n} module clients, ${patches} patches)`, `p50 ${pct(sorted, 50).toFixed(1)} ms, p99 ${pct(sorted, 99).toFixed(1)} ms (hub CPU ${((cpu.user + cpu.system) / patches).toFixed(0)} µs/patch)`, 'p99 < 50 ms']);
    }
  } finally {
    await hub.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`machine: ${(await import('node:os')).cpus().length} cores, Node ${process.version}\n\n`);
  table(results);
}

if (process.argv[2] === '--role') await runRole(process.argv[3]!, process.argv[4]!);
else await main();
