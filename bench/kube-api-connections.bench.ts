/**
 * What the agent's Kubernetes API calls cost the edgemu process with client-node's own
 * kubeconfig (a new https.Agent, TLS connection and TLS context per request) and with the
 * agent's PooledKubeConfig (keep-alive connections; runtime/agent/kubernetes/pooled-kube-config.ts):
 * N list calls, 20 at a time, against an HTTPS stand-in for the API server in its own process
 * (bench/kube-api-child.ts). Each run is a fresh client process; runs alternate plain/pooled and
 * the medians are printed. The stand-in shares the 2-core machine: its TLS handshakes are part of
 * the wall time of the plain runs, not of their CPU time (the client's own, from process.cpuUsage).
 * Usage: npm run bench -- kube-api   (EDGEMU_BENCH_REQUESTS=N, default 2000; EDGEMU_BENCH_RUNS=R per mode, default 3)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const N = Number(process.env.EDGEMU_BENCH_REQUESTS ?? 2000);
const RUNS = Number(process.env.EDGEMU_BENCH_RUNS ?? 3);
const here = path.dirname(fileURLToPath(import.meta.url));
const runTs = path.join(here, '..', 'bin', 'run-ts.js');
const child = path.join(here, 'kube-api-child.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-kube-api-bench-'));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

const server = spawn(process.execPath, [runTs, child, 'server', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const { port, caFile } = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: server.stdout! }).once('line', resolve))) as { port: number; caFile: string };
  process.stdout.write(`${N} list calls per run, ${RUNS} runs per mode, alternating; load average at start ${load()}\n`);
  const results: Record<'plain' | 'pooled', Array<{ wallMs: number; cpuMs: number; rssBeforeMb: number; rssAfterMb: number; heapAfterMb: number }>> = { plain: [], pooled: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const mode of ['plain', 'pooled'] as const) {
      const out = spawnSync(process.execPath, [runTs, child, 'client', mode, String(port), caFile, String(N)], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`client ${mode} failed: ${out.stderr}`);
      results[mode].push(JSON.parse(out.stdout.trim().split('\n').pop()!));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const row = (mode: 'plain' | 'pooled') => {
    const rs = results[mode];
    return `| ${mode === 'plain' ? "client-node's own kubeconfig" : 'PooledKubeConfig'} | ${median(rs.map((x) => x.wallMs)).toFixed(0)} ms | ${median(rs.map((x) => x.cpuMs)).toFixed(0)} ms | ${median(rs.map((x) => x.rssAfterMb - x.rssBeforeMb)).toFixed(0)} MB | ${median(rs.map((x) => x.heapAfterMb)).toFixed(0)} MB |`;
  };
  process.stdout.write(`\n| kubeconfig | wall time | client CPU time | RSS growth | heap used after |\n| --- | --- | --- | --- | --- |\n${row('plain')}\n${row('pooled')}\nload average at the end ${load()}\n`);
} finally {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
