/**
 * `$edgeAgent` direct methods benchmark (docs/agent.md "Direct methods"):
 *  1. GetModuleLogs of 1,000 log lines, text and gzip+json, in the agent process: request
 *     checks, parse, filter, render, gzip, base64 (the log read itself mocked: an in-memory log);
 *  2. with the real node (`edgemu up` with the sample deployment; skipped when the machine's
 *     real node is taken, or EDGEMU_BENCH_REAL=0): the whole path through the hub, the agent
 *     and the API server's pod log (`tail: 1000` of the filter's log, which logs every message it
 *     forwards: the sensor is made fast and the threshold low first),
 *     and RestartModule → the module reported running again with restartCount + 1.
 * Usage: npm run bench -- agent-methods
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AgentMethodContext } from '../runtime/agent/methods/agent-method.js';
import { builtinAgentMethods } from '../runtime/agent/methods/builtin-agent-methods.js';
import { createAgentMethodDispatch } from '../runtime/agent/methods/method-dispatch.js';
import { main } from '../runtime/cli/main.js';
import { systemClock } from '../runtime/clock.js';
import { silentLogger } from '../runtime/log/create-logger.js';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const dispatch = createAgentMethodDispatch([builtinAgentMethods]);

// 1. In process.
const line = (i: number) => `2026-12-02T01:00:${String(i % 60).padStart(2, '0')}.123456789Z <6> 2026-12-02 01:00:00.000 +00:00 [INF] sent ${i} messages (machine temperature 21.${i % 10})`;
const log = `${Array.from({ length: 1_000 }, (_, i) => line(i)).join('\n')}\n`;
const ctx: AgentMethodContext = {
  deviceId: 'edge-1',
  clock: systemClock,
  logger: silentLogger(),
  moduleNames: async () => ['sensor'],
  readModuleLog: async (moduleId) => ({ moduleId, text: log }),
};
process.stdout.write(`GetModuleLogs in the agent process, 1,000 lines (${(log.length / 1024).toFixed(0)} KiB of pod log):\n`);
for (const [label, extra] of [
  ['text', {}],
  ['gzip + json', { encoding: 'gzip', contentType: 'json' }],
  ['gzip + text', { encoding: 'gzip' }],
] as const) {
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < 200; i += 1) {
    const t0 = performance.now();
    const r = await dispatch.invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'sensor', filter: { tail: 1_000 } }], ...extra }, ctx);
    times.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`GetModuleLogs answered ${r.status}: ${JSON.stringify(r.payload).slice(0, 200)}`);
    size = JSON.stringify(r.payload).length;
  }
  process.stdout.write(`  ${label.padEnd(12)} median ${pct(times, 50).toFixed(2)} ms, p95 ${pct(times, 95).toFixed(2)} ms, answer ${size} bytes\n`);
}

// 2. On the real node.
const realTaken = existsSync('/run/edgemu') && readdirSync('/run/edgemu').some((d) => existsSync(path.join('/run/edgemu', d, 'host-record.json')));
if (process.env.EDGEMU_BENCH_REAL === '0' || realTaken) {
  process.stdout.write(`\nreal node: skipped (${realTaken ? 'the real node is taken by another cluster' : 'EDGEMU_BENCH_REAL=0'})\n`);
  process.exit(0);
}
const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-bench-methods-'));
const cli = (argv: string[], signal = AbortSignal.abort()) => {
  const io = { out: '', err: '' };
  return main(['--state-dir', stateDir, '--log-level', 'silent', ...argv], { out: (s) => void (io.out += s), err: (s) => void (io.err += s), shutdownSignal: signal }).then((code) => ({ code, ...io }));
};
const stop = new AbortController();
const up = cli(['up', '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--deployment', 'deployments/examples/temperature-filter.deployment.json', '--device', 'edge-1'], stop.signal);
const status = async () => {
  const s = await cli(['status', '--device', 'edge-1', '--json']);
  return s.code === 0 ? (JSON.parse(s.out) as { modules?: Record<string, { runtimeStatus: string; restartCount: number; runsOn?: string }> }) : undefined;
};
const invoke = async (name: string, payload: unknown) => JSON.parse((await cli(['methods', 'invoke', 'edge-1', name, JSON.stringify(payload), '--module', '$edgeAgent', '--json', '--timeout', '60'])).out) as { status: number; payload: unknown };
try {
  const t0 = Date.now();
  for (;;) {
    const s = await status();
    if (['filter', 'SimulatedTemperatureSensor'].every((m) => s?.modules?.[m]?.runtimeStatus === 'running' && s.modules[m]?.runsOn === 'real')) break;
    if (Date.now() - t0 > 900_000) throw new Error('the sample modules did not run on the real node within 15 min');
    await new Promise((r) => setTimeout(r, 1_000));
  }
  process.stdout.write(`\nreal node: sample modules running after ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  // The filter logs every message it forwards: a fast sensor and a threshold everything passes
  // give it 1,000 lines of log in about a minute.
  await cli(['twin', 'patch', 'edge-1', '--module', 'SimulatedTemperatureSensor', '{"sendInterval":0.05}']);
  await cli(['twin', 'patch', 'edge-1', '--module', 'filter', '{"TemperatureThreshold":-1000}']);
  const filled = Date.now();
  for (;;) {
    const r = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: '^filter$', filter: { tail: 1_000 } }], encoding: 'gzip' });
    const n = r.status === 200 ? gunzipSync(Buffer.from((r.payload as Array<{ payloadBytes: string }>)[0]!.payloadBytes, 'base64')).toString('utf8').trimEnd().split('\n').length : 0;
    if (n >= 1_000) break;
    if (Date.now() - filled > 300_000) throw new Error(`the filter logged only ${n} lines in 5 min`);
    await new Promise((res) => setTimeout(res, 2_000));
  }
  process.stdout.write(`  the filter's log reached 1,000 lines after ${((Date.now() - filled) / 1000).toFixed(0)} s\n`);
  for (const [label, extra] of [
    ['text', {}],
    ['gzip + json', { encoding: 'gzip', contentType: 'json' }],
  ] as const) {
    const times: number[] = [];
    let lines = 0;
    for (let i = 0; i < 10; i += 1) {
      const t = performance.now();
      const r = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: '^filter$', filter: { tail: 1_000 } }], ...extra });
      times.push(performance.now() - t);
      if (r.status !== 200) throw new Error(`GetModuleLogs answered ${r.status}`);
      const item = (r.payload as Array<{ payload?: string; payloadBytes?: string }>)[0]!;
      const body = item.payload ?? gunzipSync(Buffer.from(item.payloadBytes!, 'base64')).toString('utf8');
      lines = label === 'text' ? body.trimEnd().split('\n').length : (JSON.parse(body) as unknown[]).length;
    }
    process.stdout.write(`  GetModuleLogs ${label.padEnd(11)} through hub + agent + API server (CLI round trip included), tail 1000 of the filter (${lines} lines): median ${pct(times, 50).toFixed(0)} ms, p95 ${pct(times, 95).toFixed(0)} ms\n`);
  }
  const restarts: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const before = (await status())!.modules!.filter!.restartCount;
    const t = performance.now();
    const r = await invoke('RestartModule', { schemaVersion: '1.0', id: 'filter' });
    const answered = performance.now() - t;
    if (r.status !== 200) throw new Error(`RestartModule answered ${r.status}: ${JSON.stringify(r.payload)}`);
    for (;;) {
      const s = await status();
      if (s?.modules?.filter?.runtimeStatus === 'running' && s.modules.filter.restartCount === before + 1) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    restarts.push(performance.now() - t);
    process.stdout.write(`  RestartModule filter: answered 200 after ${(answered / 1000).toFixed(2)} s, reported running with restartCount ${before + 1} after ${((performance.now() - t) / 1000).toFixed(2)} s\n`);
  }
  process.stdout.write(`  RestartModule → running again: median ${(pct(restarts, 50) / 1000).toFixed(2)} s\n`);
} finally {
  stop.abort();
  await up;
  rmSync(stateDir, { recursive: true, force: true });
}
