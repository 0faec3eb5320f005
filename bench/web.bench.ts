/**
 * The web view (docs/web.md "Benchmarks"): the bundle (esbuild build time, raw and gzip size),
 * page load to the first module table in headless Chromium (cold: a fresh profile; warm: a
 * reload with the files cached, answered 304), and the browser's CPU while the page shows
 * 1,000 telemetry messages per second (Chromium's own TaskDuration over 10 s, via CDP
 * `Performance.getMetrics`). Hub, service API and Chromium share this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServer } from '../runtime/server/start-server.js';
import { silentLogger } from '../runtime/log/create-logger.js';
import { buildWebAssets } from '../runtime/web/index.js';
import { DEFAULT_API_VERSION } from '../runtime/service-api/index.js';
import { launchTestBrowser } from '../test/helpers/browser.js';

const DEVICE = 'bench-1';
const t0 = performance.now();
const assets = await buildWebAssets({ apiVersion: DEFAULT_API_VERSION });
const buildMs = performance.now() - t0;
let raw = 0;
let gzip = 0;
for (const [name, a] of assets) {
  raw += a.body.length;
  gzip += a.gzip.length;
  console.log(`${name.padEnd(10)} ${String(a.body.length).padStart(7)} B  gzip ${String(a.gzip.length).padStart(6)} B`);
}
console.log(`bundle total ${(raw / 1024).toFixed(1)} KiB, gzip ${(gzip / 1024).toFixed(1)} KiB; esbuild build ${buildMs.toFixed(0)} ms`);

const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-web-bench-'));
const server = await startServer({ stateDir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() });
server.ensureEdgeDevice(DEVICE);
const running = { runtimeStatus: 'running', status: 'running', restartCount: 0, exitCode: 0, lastStartTimeUtc: new Date().toISOString() };
server.store.twins.patchReported({ deviceId: DEVICE, moduleId: '$edgeAgent' }, {
  schemaVersion: '1.1',
  lastDesiredVersion: 1,
  lastDesiredStatus: { code: 200 },
  systemModules: { edgeAgent: running, edgeHub: running },
  modules: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`module${i}`, running])),
});
const browser = await launchTestBrowser();
try {
  const link = server.webUrl()!;
  const base = `https://localhost:${server.httpsPort}`;
  const { page } = await browser.page();
  await page.goto(link);
  await page.locator('[data-testid=device-row]').first().waitFor();
  const loads: Array<[string, number]> = [];
  const pageCdp = await browser.context.newCDPSession(page);
  for (const kind of ['cold', 'warm', 'cold', 'warm']) {
    await page.goto('about:blank');
    // Cold: the HTTP cache is dropped first (CDP Network.clearBrowserCache); warm: the files revalidate (ETag, 304).
    if (kind === 'cold') await pageCdp.send('Network.clearBrowserCache');
    const s = performance.now();
    await page.goto(`${base}/#/device/${DEVICE}`);
    await page.locator('[data-testid=module-row][data-module=module19]').waitFor();
    loads.push([kind, performance.now() - s]);
  }
  for (const [kind, ms] of loads) console.log(`page load to first module table (${kind}): ${ms.toFixed(0)} ms`);

  // 1,000 msg/s for 10 s into the store the telemetry stream reads.
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const taskDuration = async () => ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0);
  await page.getByTestId('chart').waitFor();
  const before = await taskDuration();
  const wallStart = performance.now();
  let sent = 0;
  while (performance.now() - wallStart < 10_000) {
    const due = Math.floor(((performance.now() - wallStart) / 1000) * 1000);
    const batch = [];
    for (; sent < due; sent++) {
      batch.push({ message: { deviceId: DEVICE, moduleId: 'module1', outputName: 'out', body: Buffer.from(JSON.stringify({ t: sent % 50, n: sent })), systemProperties: {}, properties: { k: 'v' }, enqueuedTimeUtc: new Date().toISOString() }, endpoint: '$upstream' });
    }
    if (batch.length > 0) server.store.messages.appendMany(batch);
    await new Promise((r) => setTimeout(r, 20));
  }
  const busy = (await taskDuration()) - before;
  const wall = (performance.now() - wallStart) / 1000;
  const points = await page.getByTestId('chart').getAttribute('data-points');
  const rate = await page.getByTestId('rate').textContent();
  const responsive = performance.now();
  await page.evaluate('1');
  console.log(`1,000 msg/s for ${wall.toFixed(1)} s (${sent} messages): renderer main thread busy ${((busy / wall) * 100).toFixed(0)}% (TaskDuration ${busy.toFixed(2)} s); chart ${points} points; page says "${rate}"; evaluate round trip ${(performance.now() - responsive).toFixed(0)} ms`);
} finally {
  await browser.close();
  await server.close();
  rmSync(stateDir, { recursive: true, force: true });
}
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
