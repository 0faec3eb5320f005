/**
 * `edgemu module run` benchmark (docs/modules.md): what a developer waits for and what the runner costs.
 *
 * 1. Start-up overhead: `edgemu module run X.mjs` until X's first output line, against
 *    `node X.mjs` alone (the difference is edgemu's CLI, the registry lookup and the env build).
 * 2. `edgemu module env` as a process (what an IDE pre-launch task runs).
 * 3. Cold start of a TypeScript sample module: `edgemu module run modules/simulated-temperature-sensor`
 *    until its first telemetry message is stored by the hub (tsx load + SDK connect over TLS + twin read).
 * 4. Output streaming: lines per second through the line prefixer (pure, in process).
 *
 * Each process measurement is repeated RUNS times; the table shows the median and the worst.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { openHubStore } from '../runtime/hub/index.js';
import { silentLogger } from '../runtime/log/create-logger.js';
import { createLinePrefixer } from '../runtime/module-run/index.js';
import { startServer } from '../runtime/server/start-server.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const edgemu = path.join(repo, 'bin/edgemu.js');
const RUNS = Number(process.env.MODULE_RUN_BENCH_RUNS ?? 5);
const DEVICE = 'bench-edge';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** Spawns a process and resolves with the time until its stdout contains `needle`, then kills it. */
async function timeUntilOutput(file: string, args: string[], needle: string | (() => boolean)): Promise<number> {
  const t0 = performance.now();
  const child = execa(file, args, { reject: false, buffer: false, stdout: 'pipe', stderr: 'ignore', cwd: repo });
  let out = '';
  const elapsed = await new Promise<number>((resolve, reject) => {
    const check = () => {
      if (typeof needle === 'string' ? out.includes(needle) : needle()) resolve(performance.now() - t0);
    };
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      check();
    });
    const timer = setInterval(check, 5);
    void child.then((r) => {
      clearInterval(timer);
      if (typeof needle === 'string' && !out.includes(needle)) reject(new Error(`${file} ${args.join(' ')} exited (${r.exitCode}) before printing ${needle}:\n${out}`));
    });
    child.stdout.once('close', () => clearInterval(timer));
  });
  child.kill('SIGTERM');
  await child;
  return elapsed;
}

const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-bench-module-run-'));
const rows: Array<[string, string, string, string]> = [];
try {
  const store = openHubStore({ stateDir });
  store.identities.createDevice(DEVICE, { edge: true });
  store.close();
  const program = path.join(stateDir, 'hello.mjs');
  writeFileSync(program, "process.stdout.write('hello\\n'); setInterval(() => {}, 1000);\n");

  const base = ['--state-dir', stateDir, '--log-level', 'silent'];
  const bare: number[] = [];
  const viaEdgemu: number[] = [];
  const env: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    bare.push(await timeUntilOutput(process.execPath, [program], 'hello'));
    viaEdgemu.push(await timeUntilOutput(process.execPath, [edgemu, ...base, 'module', 'run', program, '--device', DEVICE, '--module', 'hello'], 'hello | hello'));
    env.push(await timeUntilOutput(process.execPath, [edgemu, ...base, 'module', 'env', '--device', DEVICE, '--module', 'hello'], 'RuntimeLogLevel='));
  }
  rows.push(['node hello.mjs → first line', ms(median(bare)), ms(Math.max(...bare)), `${RUNS} runs`]);
  rows.push(['edgemu module run hello.mjs → first line', ms(median(viaEdgemu)), ms(Math.max(...viaEdgemu)), `overhead ≈ ${ms(median(viaEdgemu) - median(bare))}`]);
  rows.push(['edgemu module env (process)', ms(median(env)), ms(Math.max(...env)), `${RUNS} runs`]);

  // A hub in this process; the sensor sends every 50 ms and its output goes straight upstream.
  const server = await startServer({ stateDir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() });
  try {
    server.store.identities.ensureModule(DEVICE, 'sensor');
    server.store.twins.replaceDesired({ deviceId: DEVICE, moduleId: 'sensor' }, { sendInterval: 0.05 });
    server.store.twins.replaceDesired(
      { deviceId: DEVICE, moduleId: '$edgeHub' },
      { schemaVersion: '1.2', routes: { up: 'FROM /messages/modules/sensor/* INTO $upstream' }, storeAndForwardConfiguration: { timeToLiveSecs: 60 } },
    );
    const cold: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      const before = server.hub.messages.read({ deviceId: DEVICE }, 100_000).length;
      cold.push(
        await timeUntilOutput(process.execPath, [edgemu, ...base, 'module', 'run', 'modules/simulated-temperature-sensor', '--device', DEVICE, '--module', 'sensor'], () =>
          server.hub.messages.read({ deviceId: DEVICE }, 100_000).length > before,
        ),
      );
    }
    rows.push(['module run sensor (.ts) → first telemetry at the hub', ms(median(cold)), ms(Math.max(...cold)), 'tsx + TLS connect + twin']);
  } finally {
    await server.close();
  }

  const LINES = 200_000;
  let written = 0;
  const prefixer = createLinePrefixer('sensor | ', () => void (written += 1));
  const chunk = 'a log line of about sixty characters, like a module writes\n'.repeat(100);
  const t0 = performance.now();
  for (let i = 0; i < LINES / 100; i += 1) prefixer.push(chunk);
  prefixer.flush();
  const seconds = (performance.now() - t0) / 1000;
  rows.push(['line prefixer throughput', `${Math.round(written / seconds).toLocaleString('en-US')} lines/s`, '', `${LINES.toLocaleString('en-US')} lines`]);
} finally {
  rmSync(stateDir, { recursive: true, force: true });
}

const width = [0, 1, 2, 3].map((i) => Math.max(...[['measure', 'median', 'worst', 'notes'], ...rows].map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
process.stdout.write(`${line(['measure', 'median', 'worst', 'notes'])}\n`);
process.stdout.write(`| ${width.map((w) => '-'.repeat(w)).join(' | ')} |\n`);
for (const r of rows) process.stdout.write(`${line(r)}\n`);
process.stdout.write(`\n${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
