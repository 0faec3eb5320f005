// Entry point of the cluster's LoadBalancer IP controller process (docs/cluster.md "LoadBalancer IPs"):
// `node --import tsx lb-controller-main.ts KUBECONFIG FIRST-LAST`, started and stopped by
// local-cluster.ts like the other components, its output in logs/service-ips.log.
import { KubeConfig } from '@kubernetes/client-node';
import { runLoadBalancerController } from './load-balancer-controller.js';
import { formatRange, parseIpRange } from './service-ip-range.js';

const [kubeconfig, rangeText] = process.argv.slice(2);
if (kubeconfig === undefined || rangeText === undefined) {
  process.stderr.write('usage: lb-controller-main.ts KUBECONFIG FIRST-LAST\n');
  process.exitCode = 2;
} else {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const range = parseIpRange(rangeText);
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  const line = (level: string, fields: unknown, message?: string) => process.stdout.write(`${new Date().toISOString()} ${level} ${message ?? ''} ${JSON.stringify(fields)}\n`);
  const logger = { warn: (fields: unknown, message?: string) => line('warn', fields, message), info: (fields: unknown, message?: string) => line('info', fields, message) };
  line('info', { range: formatRange(range) }, 'assigning LoadBalancer IPs');
  await runLoadBalancerController({ kc, range, signal: stop.signal, logger: logger as never });
}
