/**
 * Service API throughput and latency over HTTPS with keep-alive, client and server in this
 * process on 127.0.0.1: twin GET, twin PATCH (desired, pushed to a connected device SDK
 * client), direct-method round trips to a connected azure-iot-device Client, and
 * applyConfigurationContent of the example manifest. Concurrency 8 per operation.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { startServer } from '../runtime/server/start-server.js';
import { silentLogger } from '../runtime/log/create-logger.js';
import { formatDeviceConnectionString } from '../runtime/hub/index.js';
import { ServiceClient } from '../runtime/service-api/service-client.js';

const SECONDS = 2;
const CONCURRENCY = 8;

interface Row {
  name: string;
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function measure(name: string, op: (i: number) => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < 20; i++) await op(i); // warm-up
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op(n++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const wall = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { name, count: latencies.length, perSecond: latencies.length / wall, p50: q(0.5), p99: q(0.99) };
}

const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-bench-service-'));
const server = await startServer({ stateDir: dir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() });
const device = Client.fromConnectionString(
  formatDeviceConnectionString({ hostName: `localhost:${server.mqttsPort}`, deviceId: 'bench-dev', key: server.store.identities.createDevice('bench-dev').primaryKey }),
  Mqtt,
);
try {
  server.store.identities.createDevice('bench-gw', { edge: true });
  await device.setOptions({ ca: server.hub.caCert });
  await device.open();
  device.onDeviceMethod('echo', (req, res) => void res.send(200, req.payload));
  const policy = server.store.identities.servicePolicy();
  const client = new ServiceClient({ port: server.httpsPort!, ca: server.hub.caCert, hostName: 'localhost', policyName: policy.name, policyKey: policy.primaryKey });
  const manifest = JSON.parse(readFileSync(new URL('../deployments/examples/temperature-filter.deployment.json', import.meta.url), 'utf8')) as unknown;

  const rows = [
    await measure('twin GET', () => client.getTwin({ deviceId: 'bench-dev' })),
    await measure('twin PATCH desired (pushed to the device)', (i) => client.patchTwin({ deviceId: 'bench-dev' }, { properties: { desired: { n: i } } })),
    await measure('direct method round trip', (i) => client.invokeMethod({ deviceId: 'bench-dev' }, 'echo', { i }, 10)),
    await measure('applyConfigurationContent (4 module twins)', () => client.applyConfigurationContent('bench-gw', manifest)),
  ];
  client.close();
  process.stdout.write(`concurrency ${CONCURRENCY}, ${SECONDS} s each, load average ${loadavg()[0]!.toFixed(2)}\n\n`);
  process.stdout.write('| operation | requests | req/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: |\n');
  for (const r of rows) process.stdout.write(`| ${r.name} | ${r.count} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |\n`);
} finally {
  await device.close().catch(() => undefined);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
