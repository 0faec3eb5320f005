import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { main } from '../../../runtime/cli/main.js';
import { deviceNamespace } from '../../../runtime/translate/index.js';
import { eventually, kubeConfig, kubeconfigPath } from '../../helpers/k8s.js';
import { launchTestBrowser } from '../../helpers/browser.js';
import { deleteDeviceNamespace, uniqueDevice } from '../agent/agent-harness.js';

const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-web-up-'));
const deviceId = uniqueDevice('web');
afterAll(async () => {
  await deleteDeviceNamespace(kubeConfig(), deviceId);
  rmSync(stateDir, { recursive: true, force: true });
});

/**
 * The web view of `edgemu up` with the sample deployment, in headless Chromium: the link from
 * `up --json` signs in, the modules the real agent reports appear running, and a crash-looping
 * module (KWOK's crash stage, docs/cluster.md "Simulating crashes and failures") turns to
 * backoff in the open page, from the device event stream.
 */
describe('the web view of edgemu up', () => {
  it('shows the deployed modules running and a crash as backoff without reloading', { timeout: 180_000 }, async () => {
    const stop = new AbortController();
    let out = '';
    const up = main(
      ['--state-dir', stateDir, '--log-level', 'silent', 'up', '--kubeconfig', kubeconfigPath(), '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--bind', '127.0.0.1', '--deployment', 'deployments/examples/temperature-filter.deployment.json', '--device', deviceId, '--json'],
      { out: (s) => void (out += s), err: () => undefined, shutdownSignal: stop.signal },
    );
    const browser = await launchTestBrowser();
    try {
      const summary = await eventually(async () => {
        const line = out.split('\n').find((l) => l.startsWith('{'));
        return line ? (JSON.parse(line) as { webUrl: string; httpsPort: number }) : undefined;
      }, { timeoutMs: 90_000, what: 'the up summary' });
      expect(summary.webUrl).toMatch(new RegExp(`^https://localhost:${summary.httpsPort}/#token=SharedAccessSignature%20`));
      const { page, errors } = await browser.page();
      const started = Date.now();
      await page.goto(summary.webUrl);
      await page.locator(`[data-testid=device-row][data-device="${deviceId}"]`).waitFor();
      await page.goto(`https://localhost:${summary.httpsPort}/#/device/${deviceId}`);
      const row = (m: string) => page.locator(`[data-testid=module-row][data-module=${m}]`);
      await expect.poll(() => row('filter').getAttribute('data-runtime'), { timeout: 60_000 }).toBe('running');
      await expect.poll(() => row('SimulatedTemperatureSensor').getAttribute('data-runtime'), { timeout: 60_000 }).toBe('running');
      console.log(`[web] up: link to modules running in the page: ${Date.now() - started} ms`);
      await browser.screenshot(page, 'up-device');
      const runs = (await row('filter').locator('td').nth(3).textContent()) ?? '';
      await page.evaluate('window.marker = 1');
      if (runs === 'simulated') {
        await kubeConfig()
          .makeApiClient(AppsV1Api)
          .patchNamespacedDeployment(
            { name: 'filter', namespace: deviceNamespace(deviceId), body: { spec: { template: { metadata: { labels: { 'edgemu.io/simulate': 'crash-loop' }, annotations: { 'edgemu.io/exit-code': '3' } } } } } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
        await expect.poll(() => row('filter').getAttribute('data-runtime'), { timeout: 60_000 }).toBe('backoff');
        await browser.screenshot(page, 'up-backoff');
      } else {
        // On the real node the module's container runs; the page's restart button goes through $edgeAgent RestartModule.
        await page.goto(`https://localhost:${summary.httpsPort}/#/device/${deviceId}/module/filter`);
        await page.getByTestId('restart').click();
        await expect.poll(() => page.getByTestId('restart-result').textContent(), { timeout: 60_000 }).toBe('RestartModule answered 200.');
      }
      expect(await page.evaluate('window.marker')).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      stop.abort();
      expect(await up).toBe(0);
    }
  });
});
