/**
 * Automatic deployments (docs/deployments.md) over a fleet in a real SQLite store, without HTTP:
 * the time from writing a base deployment that targets 1,000 edge devices (of 2,000) until all
 * their module twins hold it (the write itself returns at once: the evaluation is debounced and
 * runs after it, in time slices); a layer on half of them; a tag change that moves one device; and
 * the system metrics of the base (what `GET /configurations/{id}` computes, over one snapshot of the twins).
 * Usage: npm run bench -- deployments   (EDGEMU_BENCH_DEVICES=N to change the fleet size)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openHubStore } from '../runtime/hub/index.js';
import { startAutomaticDeployments } from '../runtime/service-api/automatic-deployments.js';
import { countMetrics, systemMetricQueries } from '../runtime/service-api/configuration-metrics.js';
import { snapshotQuerySource } from '../runtime/service-api/twin-query-source.js';
import { silentLogger } from '../runtime/log/create-logger.js';

const DEVICES = Number(process.env.EDGEMU_BENCH_DEVICES ?? 2_000);
const manifest = JSON.parse(readFileSync(new URL('../deployments/examples/temperature-filter.deployment.json', import.meta.url), 'utf8')) as { modulesContent: unknown };
const layer = JSON.parse(readFileSync(new URL('../deployments/layers/echo.layer.json', import.meta.url), 'utf8')) as { modulesContent: unknown };

const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-bench-deployments-'));
const store = openHubStore({ stateDir: dir });
try {
  store.transaction(() => {
    for (let i = 0; i < DEVICES; i++) {
      const id = `edge-${String(i).padStart(5, '0')}`;
      store.identities.createDevice(id, { edge: true });
      store.twins.update({ deviceId: id }, { tags: { env: i % 2 === 0 ? 'prod' : 'dev', site: i % 4 === 0 ? 'a' : 'b' } });
    }
  });
  const automatic = startAutomaticDeployments({ store, logger: silentLogger() });
  /** Time of the write alone (what a request waits for), and until the fleet has the result. */
  const time = async (f: () => void): Promise<[number, number]> => {
    const t = performance.now();
    f();
    const written = performance.now() - t;
    await automatic.settled();
    return [written, performance.now() - t];
  };
  const rss0 = process.memoryUsage().rss;
  const rows: [string, [number, number]][] = [
    [`base deployment to ${DEVICES / 2} of ${DEVICES} devices, until all written`, await time(() => store.configurations.put('prod', { targetCondition: "tags.env='prod'", priority: 10, content: manifest }))],
    [`layer on ${DEVICES / 4} of them, merged and written`, await time(() => store.configurations.put('site-a', { targetCondition: "tags.site='a'", priority: 20, content: layer }))],
    ['a tag change moving one device', await time(() => store.twins.update({ deviceId: 'edge-00001' }, { tags: { env: 'prod' } }))],
    ['system metrics of the base', await time(() => countMetrics(systemMetricQueries('prod', "tags.env='prod'"), snapshotQuerySource(store)))],
    ['re-evaluating the fleet with nothing to write', await time(() => automatic.evaluateAll())],
  ];
  const written = countMetrics(systemMetricQueries('prod', "tags.env='prod'"), snapshotQuerySource(store));
  if (written.appliedCount !== DEVICES / 2 + 1) throw new Error(`expected ${DEVICES / 2 + 1} applied, got ${JSON.stringify(written)}`);
  process.stdout.write('| step | the write returns (ms) | the fleet has it (ms, debounce 25 ms included) |\n| --- | --- | --- |\n');
  for (const [name, [write, done]] of rows) process.stdout.write(`| ${name} | ${write.toFixed(1)} | ${done.toFixed(0)} |\n`);
  process.stdout.write(`\nRSS grew by ${((process.memoryUsage().rss - rss0) / 1e6).toFixed(0)} MB\n`);
  automatic.close();
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
