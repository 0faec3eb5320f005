import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ModuleClient, Message } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import type { Page } from 'playwright-core';
import { startServer, type Server } from '../../../runtime/server/start-server.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { formatDeviceConnectionString } from '../../../runtime/hub/index.js';
import { launchTestBrowser, type TestBrowser } from '../../helpers/browser.js';

const DEVICE = 'edge-1';
// Twin property names allow no '.', '$', '#' or whitespace: an img whose onerror would open a dialog.
const HOSTILE_KEY = '<img/src=x/onerror=alert(1)>';
const HOSTILE_BODY = '<script>window.__xss=1</script>';

/** `$edgeAgent` reported properties in IoT Edge's shape (docs/agent.md), with `filter` in `runtime`. */
function agentReport(runtime: string, restarts: number) {
  const started = '2026-12-02T06:00:00Z';
  return {
    schemaVersion: '1.1',
    lastDesiredVersion: 2,
    lastDesiredStatus: { code: 200, description: '' },
    systemModules: {
      edgeAgent: { runtimeStatus: 'running', lastStartTimeUtc: started, exitCode: 0, restartCount: 0 },
      edgeHub: { status: 'running', runtimeStatus: 'running', lastStartTimeUtc: started, exitCode: 0, restartCount: 0 },
    },
    modules: {
      filter: { status: 'running', runtimeStatus: runtime, lastStartTimeUtc: started, exitCode: runtime === 'running' ? 0 : 1, restartCount: restarts, runsOn: 'simulated' },
    },
  };
}

/** GET/POST on the service API without credentials (or with a cookie and no web header); resolves with the status. */
function statusOf(port: number, ca: Buffer, method: string, pathname: string, headers: Record<string, string> = {}, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: pathname, ca, servername: 'localhost', headers: body ? { 'content-type': 'application/json', ...headers } : headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Reported-properties update through the SDK's callback API (one twin object per client: twin reads are throttled). */
const twins = new WeakMap<ModuleClient, ReturnType<ModuleClient['getTwin']>>();
function report(client: ModuleClient, patch: Record<string, unknown>): Promise<void> {
  if (!twins.has(client)) twins.set(client, client.getTwin());
  return twins.get(client)!.then(
    (twin) => new Promise<void>((resolve, reject) => twin.properties.reported.update(patch, (error?: Error) => (error ? reject(error) : resolve()))),
  );
}

/**
 * The web view in headless Chromium (playwright-core, Debian's chromium) against the composition
 * root's server: hub, service API, web view. The module `filter` is a real azure-iot-device
 * ModuleClient (it mirrors desired `threshold` into reported, answers `echo`, sends telemetry);
 * the `$edgeAgent` report the modules table shows is written by the test over MQTT as the agent
 * writes it (the agent itself is tested in test/k8s/agent/).
 */
describe('the web view in a real browser', { timeout: 90_000 }, () => {
  let stateDir: string;
  let server: Server;
  let browser: TestBrowser;
  let agent: ModuleClient;
  let filter: ModuleClient;
  let telemetry: NodeJS.Timeout | undefined;
  let base: string;
  let ca: Buffer;
  const consoleErrors: string[] = [];
  const agentCalls: Array<{ method: string; payload: unknown }> = [];

  const moduleClient = async (moduleId: string) => {
    if (!server.store.identities.get({ deviceId: DEVICE, moduleId })) server.store.identities.createModule(DEVICE, moduleId);
    const identity = server.store.identities.get({ deviceId: DEVICE, moduleId })!;
    const client = ModuleClient.fromConnectionString(formatDeviceConnectionString({ hostName: `localhost:${server.mqttsPort}`, deviceId: DEVICE, moduleId, key: identity.primaryKey }), Mqtt);
    await client.setOptions({ ca: server.hub.caCert });
    await client.open();
    return client;
  };
  const newPage = async (): Promise<Page> => {
    const { page, errors } = await browser.page();
    page.on('dialog', (d) => {
      errors.push(`dialog opened: ${d.message()}`);
      void d.dismiss();
    });
    page.on('close', () => consoleErrors.push(...errors));
    (page as Page & { errorsSoFar?: string[] }).errorsSoFar = errors;
    return page;
  };
  const errorsOf = (page: Page) => (page as Page & { errorsSoFar?: string[] }).errorsSoFar ?? [];

  beforeAll(async () => {
    browser = await launchTestBrowser();
    stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-web-test-'));
    server = await startServer({ stateDir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() });
    ca = readFileSync(server.caFile);
    base = `https://localhost:${server.httpsPort}`;
    server.ensureEdgeDevice(DEVICE);
    const manifest = JSON.parse(readFileSync('deployments/examples/sample-modules.deployment.json', 'utf8')) as { content?: unknown };
    const outcome = server.deploy(DEVICE, manifest.content ?? manifest);
    expect(outcome.applied).toBe(true);
    agent = await moduleClient('$edgeAgent');
    await report(agent, agentReport('running', 0));
    // What the page asks $edgeAgent for (docs/agent.md "Direct methods"); the answers are the agent's shapes.
    agent.onMethod('RestartModule', (req, res) => {
      agentCalls.push({ method: 'RestartModule', payload: req!.payload });
      void res!.send(200, null);
    });
    agent.onMethod('GetModuleLogs', (req, res) => {
      agentCalls.push({ method: 'GetModuleLogs', payload: req!.payload });
      void res!.send(200, [{ id: 'filter', payload: '<6> 2026-12-02T06:00:01Z [INF] forwarded <b>36.4</b>\n' }]);
    });
    filter = await moduleClient('filter');
    if (!twins.has(filter)) twins.set(filter, filter.getTwin());
    const twin = await twins.get(filter)!;
    twin.on('properties.desired', (desired: Record<string, unknown>) => {
      if (typeof desired.TemperatureThreshold === 'number') void report(filter, { TemperatureThreshold: desired.TemperatureThreshold });
    });
    await report(filter, { [HOSTILE_KEY]: HOSTILE_BODY });
    filter.onMethod('echo', (req, res) => void res!.send(200, { echoed: req!.payload, from: 'filter' }));
    let n = 0;
    telemetry = setInterval(() => {
      n++;
      const body = n % 5 === 0 ? HOSTILE_BODY : JSON.stringify({ machine: { temperature: 20 + (n % 10) }, timeCreated: new Date().toISOString() });
      const message = new Message(body);
      message.properties.add('MessageType', n % 3 === 0 ? 'Alert' : 'Normal');
      void filter.sendOutputEvent('output1', message).catch(() => undefined);
    }, 150);
  }, 120_000);

  afterAll(async () => {
    if (telemetry) clearInterval(telemetry);
    await Promise.allSettled([agent?.close(), filter?.close()]);
    await browser?.close();
    await server?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('answers 401 to every API the page uses without a session, and the page shows the sign-in', async () => {
    const port = server.httpsPort!;
    const v = 'api-version=2021-04-12';
    const calls: Array<[string, string, string?]> = [
      ['GET', `/devices?${v}`],
      ['POST', `/devices/query?${v}`, '{"query":"SELECT * FROM devices"}'],
      ['PUT', `/devices/new-one?${v}`, '{"deviceId":"new-one"}'],
      ['DELETE', `/devices/${DEVICE}?${v}`],
      ['GET', `/twins/${DEVICE}/modules/filter?${v}`],
      ['PATCH', `/twins/${DEVICE}/modules/filter?${v}`, '{"properties":{"desired":{"a":1}}}'],
      ['POST', `/twins/${DEVICE}/modules/filter/methods?${v}`, '{"methodName":"echo","payload":null}'],
      ['POST', `/devices/${DEVICE}/applyConfigurationContent?${v}`, '{}'],
      ['GET', `/messages/events/stream?${v}&deviceId=${DEVICE}`],
      ['GET', `/web/events?deviceId=${DEVICE}`],
    ];
    for (const [method, p, body] of calls) expect([method, p, await statusOf(port, ca, method, p, {}, body)]).toEqual([method, p, 401]);
    // A write with a valid session cookie but without the web header (a forged cross-site form) is refused too.
    const token = decodeURIComponent(server.webUrl()!.split('#token=')[1]!);
    const cookie = { cookie: `edgemu_session=${encodeURIComponent(token)}` };
    expect(await statusOf(port, ca, 'GET', `/devices?${v}`, cookie)).toBe(200);
    expect(await statusOf(port, ca, 'PATCH', `/twins/${DEVICE}/modules/filter?${v}`, cookie, '{"properties":{"desired":{"a":1}}}')).toBe(401);
    // An expired token does not become a session.
    const expired = token.replace(/se=\d+/, 'se=1000');
    expect(await statusOf(port, ca, 'GET', `/devices?${v}`, { cookie: `edgemu_session=${encodeURIComponent(expired)}` })).toBe(401);

    const page = await newPage();
    await page.goto(`${base}/`);
    await page.getByTestId('sign-in').waitFor();
    expect(await page.getByTestId('devices').count()).toBe(0);
    await browser.screenshot(page, 'sign-in');
    expect(errorsOf(page), errorsOf(page).join('\n')).toEqual([]);
    await page.close();
  });

  it('signs in with the service connection string and lists the devices; signing out ends the session', async () => {
    const policy = server.store.identities.servicePolicy();
    const page = await newPage();
    await page.goto(`${base}/`);
    await page.locator('#connection-string').fill(`HostName=localhost;SharedAccessKeyName=${policy.name};SharedAccessKey=${'A'.repeat(44)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(async () => page.getByTestId('sign-in-error').textContent()).toContain('not a key of the policy');
    await page.locator('#connection-string').fill(`HostName=localhost;SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.primaryKey}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const row = page.locator(`[data-testid=device-row][data-device="${DEVICE}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('edge');
    const cookies = await browser.context.cookies(base);
    const session = cookies.find((c) => c.name === 'edgemu_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    expect(await page.evaluate('document.cookie')).toBe('');
    await page.getByRole('button', { name: 'sign out' }).click();
    // The one console error is Chromium's note on the refused sign-in above (a 401 is the answer to a wrong key).
    expect(errorsOf(page).splice(0)).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    await page.getByTestId('sign-in').waitFor();
    expect((await browser.context.cookies(base)).find((c) => c.name === 'edgemu_session')).toBeUndefined();
    expect(errorsOf(page), errorsOf(page).join('\n')).toEqual([]);
    await page.close();
  });

  it('opens from the link edgemu prints: the device and its modules appear running, and a crash turns to backoff without reloading', async () => {
    const page = await newPage();
    const started = Date.now();
    await page.goto(server.webUrl()!);
    await page.locator(`[data-testid=device-row][data-device="${DEVICE}"]`).waitFor();
    expect(page.url()).not.toContain('token=');
    await browser.screenshot(page, 'devices');
    await page.getByRole('link', { name: DEVICE, exact: true }).click();
    const filterRow = page.locator('[data-testid=module-row][data-module=filter]');
    await filterRow.waitFor();
    console.log(`[web] link to first module table: ${Date.now() - started} ms`);
    for (const m of ['edgeAgent', 'edgeHub', 'filter']) expect(await page.locator(`[data-testid=module-row][data-module=${m}]`).getAttribute('data-runtime')).toBe('running');
    expect(await filterRow.textContent()).toContain('simulated');
    await browser.screenshot(page, 'device');
    await page.evaluate('window.marker = 42');
    await report(agent, { modules: { filter: { runtimeStatus: 'backoff', exitCode: 1, restartCount: 3, lastExitTimeUtc: '2026-12-02T06:10:00Z' } } });
    await expect.poll(() => filterRow.getAttribute('data-runtime'), { timeout: 10_000 }).toBe('backoff');
    expect(await filterRow.textContent()).toContain('3');
    expect(await page.evaluate('window.marker')).toBe(42);
    await browser.screenshot(page, 'device-backoff');
    // Narrow screens: nothing but the tables' own scroll boxes is wider than a phone.
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await browser.screenshot(page, 'device-narrow');
    await page.setViewportSize({ width: 1200, height: 900 });
    // Keyboard: a module link is reachable by focus and opens with Enter.
    await page.getByRole('link', { name: 'filter', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('module-panel').waitFor();
    await page.goBack();
    // The routes and their queues: echo is not connected, so the alerts routed to it wait.
    await expect.poll(async () => Number(await page.locator('[data-testid=queue-row][data-module=echo] td').nth(1).textContent()), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('routes').textContent()).toContain('alertsToEcho');
    expect(errorsOf(page), errorsOf(page).join('\n')).toEqual([]);
    await page.close();
  });

  it('edits a desired property that reaches the module, invokes a method, plots telemetry, and shows hostile text as text', async () => {
    const page = await newPage();
    await page.goto(`${base}/#/device/${DEVICE}/module/filter`);
    const desired = page.getByTestId('desired');
    await expect.poll(() => desired.inputValue()).toContain('TemperatureThreshold');
    const edited = JSON.parse(await desired.inputValue()) as Record<string, unknown>;
    edited.TemperatureThreshold = 42;
    await desired.fill(JSON.stringify(edited, null, 2));
    await page.getByTestId('save-desired').click();
    await expect.poll(async () => server.store.twins.get({ deviceId: DEVICE, moduleId: 'filter' })!.properties.desired.TemperatureThreshold, { timeout: 10_000 }).toBe(42);
    // The module's reported answer arrives in the page through the twin event.
    await expect.poll(() => page.getByTestId('reported').textContent(), { timeout: 10_000 }).toContain('"TemperatureThreshold": 42');

    await page.getByTestId('method-name').fill('echo');
    await page.getByTestId('method-payload').fill('{"n": 7}');
    await page.getByTestId('invoke').click();
    await expect.poll(() => page.getByTestId('method-result').textContent(), { timeout: 15_000 }).toContain('status 200');
    expect(JSON.parse((await page.getByTestId('method-result').textContent())!.replace(/^status 200\n/, ''))).toEqual({ echoed: { n: 7 }, from: 'filter' });

    await page.getByTestId('restart').click();
    await expect.poll(() => page.getByTestId('restart-result').textContent(), { timeout: 15_000 }).toBe('RestartModule answered 200.');
    await page.getByRole('button', { name: 'fetch logs' }).click();
    await expect.poll(() => page.getByTestId('logs').textContent(), { timeout: 15_000 }).toBe('<6> 2026-12-02T06:00:01Z [INF] forwarded <b>36.4</b>\n');
    expect(agentCalls).toEqual([
      { method: 'RestartModule', payload: { schemaVersion: '1.0', id: 'filter' } },
      { method: 'GetModuleLogs', payload: { schemaVersion: '1.0', items: [{ id: 'filter', filter: { tail: 100 } }], encoding: 'none', contentType: 'text' } },
    ]);

    const chart = page.getByTestId('chart');
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(2);
    const before = Number(await chart.getAttribute('data-points'));
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(before);
    expect(await page.getByTestId('field').inputValue()).toBe('machine.temperature');

    // Script in a property name and in message bodies stays text.
    expect(await page.getByTestId('reported').textContent()).toContain(HOSTILE_KEY);
    await expect.poll(() => page.getByTestId('messages').textContent(), { timeout: 10_000 }).toContain(HOSTILE_BODY);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('main img, main script').count()).toBe(0);
    await browser.screenshot(page, 'module');
    expect(errorsOf(page), errorsOf(page).join('\n')).toEqual([]);
    await page.close();
  });

  it('shows a twin with deeply nested values (arrays 95 deep, IoT Hub\'s deepest objects) as text, and stays usable', async () => {
    // Arrays do not count toward IoT Hub's twin depth limit; the hub stops any nesting at 100 (docs/hub.md).
    let arrays: unknown = 'bottom-of-the-arrays';
    for (let i = 0; i < 95; i++) arrays = [arrays];
    let objects: Record<string, unknown> = { leaf: 'deepest-object' };
    for (let i = 8; i >= 1; i--) objects = { [`level${i}`]: objects };
    await report(filter, { deepArrays: arrays, deepObjects: objects });
    const page = await newPage();
    await page.goto(`${base}/#/device/${DEVICE}/module/filter`);
    const reported = page.getByTestId('reported');
    await expect.poll(() => reported.textContent(), { timeout: 10_000 }).toContain('bottom-of-the-arrays');
    expect(await reported.textContent()).toContain('"leaf": "deepest-object"');
    // Still answering: the method box works after rendering it.
    await page.getByTestId('method-name').fill('echo');
    await page.getByTestId('method-payload').fill('{"after": "deep"}');
    await page.getByTestId('invoke').click();
    await expect.poll(() => page.getByTestId('method-result').textContent(), { timeout: 15_000 }).toContain('status 200');
    await browser.screenshot(page, 'deep-twin');
    expect(errorsOf(page), errorsOf(page).join('\n')).toEqual([]);
    await page.close();
  });

  it('shows a refused manifest with the JSON paths of its problems and applies nothing', async () => {
    const page = await newPage();
    await page.goto(`${base}/#/device/${DEVICE}`);
    const version = server.store.twins.get({ deviceId: DEVICE, moduleId: 'filter' })!.properties.desired.$version;
    const before = server.store.twins.get({ deviceId: DEVICE, moduleId: '$edgeAgent' })!.properties.desired.$version;
    await page.locator('#manifest').fill(JSON.stringify({ modulesContent: { $edgeAgent: { 'properties.desired': { schemaVersion: '1.1' } } } }));
    await page.getByRole('button', { name: 'validate and deploy' }).click();
    await page.getByTestId('deploy-error').first().waitFor();
    expect(await page.getByTestId('deploy-result').textContent()).toContain('/modulesContent');
    expect(server.store.twins.get({ deviceId: DEVICE, moduleId: '$edgeAgent' })!.properties.desired.$version).toBe(before);
    expect(server.store.twins.get({ deviceId: DEVICE, moduleId: 'filter' })!.properties.desired.$version).toBe(version);
    // The one console entry is Chromium's note on the 400 that refused the manifest.
    expect(errorsOf(page).splice(0)).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await browser.screenshot(page, 'deploy-refused');
    // A 10 MB manifest is refused in the page, before any upload.
    await page.locator('input[type=file]').setInputFiles({ name: 'huge.json', mimeType: 'application/json', buffer: Buffer.alloc(10 * 1024 * 1024, 0x20) });
    await expect.poll(() => page.getByTestId('deploy-result').textContent()).toBe('huge.json is 10485760 bytes; the service API accepts at most 1048576.');
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it('stays responsive under thousands of messages per second and says the list is sampled', async () => {
    const page = await newPage();
    await page.goto(`${base}/#/device/${DEVICE}`);
    await page.getByTestId('chart').waitFor();
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 4000) {
      const due = Math.floor((Date.now() - started) * 3); // 3,000 msg/s
      const batch = [];
      for (; sent < due; sent++) batch.push({ message: { deviceId: DEVICE, moduleId: 'filter', outputName: 'output1', body: Buffer.from(JSON.stringify({ machine: { temperature: sent % 40 } })), systemProperties: {}, properties: {}, enqueuedTimeUtc: new Date().toISOString() }, endpoint: '$upstream' });
      server.store.messages.appendMany(batch);
      await new Promise((r) => setTimeout(r, 20));
    }
    await expect.poll(() => page.getByTestId('rate').textContent(), { timeout: 10_000 }).toMatch(/sampled view: the list keeps 1 of every \d+ messages/);
    const t = Date.now();
    expect(await page.evaluate('1 + 1')).toBe(2);
    expect(Date.now() - t).toBeLessThan(5000);
    expect(Number(await page.getByTestId('chart').getAttribute('data-points'))).toBe(2000);
    expect(await page.getByTestId('message').count()).toBeLessThanOrEqual(100);
    await browser.screenshot(page, 'telemetry-sampled');
    expect(errorsOf(page)).toEqual([]);
    await page.close();
    expect(consoleErrors).toEqual([]);
  });
});
