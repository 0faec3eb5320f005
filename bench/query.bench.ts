/**
 * Twin query latency (docs/query.md) over 10,000 device twins (plus their $edgeAgent/$edgeHub
 * module twins) in a real SQLite store, through `runTwinQuery` — the rule behind
 * `POST /devices/query` without HTTP: tag equality (first page of 100, and the whole result paged
 * by 1000), COUNT(), GROUP BY, and a module query. Each figure is the median of 5 runs.
 * Usage: npm run bench -- query   (EDGEMU_BENCH_TWINS=N to change the fleet size)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openHubStore } from '../runtime/hub/index.js';
import { runTwinQuery } from '../runtime/service-api/run-twin-query.js';

const TWINS = Number(process.env.EDGEMU_BENCH_TWINS ?? 10_000);
const RUNS = 5;

const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-bench-query-'));
const store = openHubStore({ stateDir: dir });
try {
  const t0 = performance.now();
  store.transaction(() => {
    for (let i = 0; i < TWINS; i++) {
      const id = `edge-${String(i).padStart(5, '0')}`;
      store.identities.createDevice(id, { edge: true });
      store.twins.update({ deviceId: id }, { tags: { env: i % 4 === 0 ? 'prod' : 'dev', site: `site-${i % 10}` } });
    }
  });
  process.stdout.write(`fleet: ${TWINS} edge devices (${TWINS * 3} twins) written in ${((performance.now() - t0) / 1000).toFixed(1)} s\n\n`);

  const median = (f: () => void): number => {
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      f();
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
  };
  const allPages = (text: string, size: number) => () => {
    let continuation: string | undefined;
    let n = 0;
    do {
      const page = runTwinQuery(store, text, { maxItemCount: size, continuation });
      n += page.items.length;
      continuation = page.continuation;
    } while (continuation);
    return n;
  };
  const rows: [string, number][] = [
    ["tag equality, first page of 100", median(() => runTwinQuery(store, "SELECT * FROM devices WHERE tags.env = 'prod'", { maxItemCount: 100 }))],
    ["tag equality, all pages of 1000", median(allPages("SELECT * FROM devices WHERE tags.env = 'prod'", 1000))],
    ['COUNT()', median(() => runTwinQuery(store, 'SELECT COUNT() AS n FROM devices', {}))],
    ['GROUP BY tags.site', median(() => runTwinQuery(store, 'SELECT tags.site AS site, COUNT() AS n FROM devices GROUP BY tags.site', {}))],
    ["devices.modules WHERE moduleId='$edgeAgent', first page", median(() => runTwinQuery(store, "SELECT * FROM devices.modules WHERE moduleId = '$edgeAgent'", { maxItemCount: 100 }))],
  ];
  process.stdout.write('| query | median ms |\n| --- | --- |\n');
  for (const [name, ms] of rows) process.stdout.write(`| ${name} | ${ms.toFixed(1)} |\n`);
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
