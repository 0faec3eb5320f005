// Entry point of the cluster's LoadBalancer IP controller process (docs/cluster.md "LoadBalancer IPs"):
// `node service-ips.mjs SERVER CA_FILE CERT_FILE KEY_FILE FIRST-LAST`, this file bundled by
// local-cluster.ts (esbuild) so it runs on plain Node without tsx, started and stopped like the
// other components, its output in logs/service-ips.log.
import { readFileSync } from 'node:fs';
import { runLoadBalancerController } from './load-balancer-controller.js';
import { formatRange, parseIpRange } from './service-ip-range.js';

const [server, caFile, certFile, keyFile, rangeText] = process.argv.slice(2);
if (server === undefined || caFile === undefined || certFile === undefined || keyFile === undefined || rangeText === undefined) {
  process.stderr.write('usage: service-ips.mjs SERVER CA_FILE CERT_FILE KEY_FILE FIRST-LAST\n');
  process.exitCode = 2;
} else {
  const tls = { ca: readFileSync(caFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  const range = parseIpRange(rangeText);
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  const line = (level: string, fields: unknown, message?: string) => process.stdout.write(`${new Date().toISOString()} ${level} ${message ?? ''} ${JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? v.message : v))}\n`);
  const logger = { warn: (fields: unknown, message?: string) => line('warn', fields, message), info: (fields: unknown, message?: string) => line('info', fields, message) };
  line('info', { range: formatRange(range) }, 'assigning LoadBalancer IPs');
  await runLoadBalancerController({ api: { server, tls }, range, signal: stop.signal, logger: logger as never });
}
