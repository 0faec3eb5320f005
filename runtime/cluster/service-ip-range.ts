/**
 * Azure Stack Edge's "Kubernetes external service IPs": a static range from which each
 * LoadBalancer Service gets one IP; with too few, a Service stays without one — the device's
 * documented "module running but no IP" symptom (learn.microsoft.com,
 * azure-stack-edge-gpu-deploy-configure-compute, "Kubernetes external service IPs"). Pure:
 * table-tested; runtime/cluster/load-balancer-controller.ts applies the result.
 */
import { ClusterError } from './cluster-errors.js';

export interface IpRange {
  /** First and last address as 32-bit numbers, inclusive. */
  first: number;
  last: number;
}

export const MAX_RANGE_SIZE = 4096;
/** `cluster up`'s range when `--service-ips` is not given: next to the real node's pod network 10.88.0.0/16. */
export const DEFAULT_SERVICE_IPS = '10.89.0.10-10.89.0.99';

export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

export const numberToIp = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

/** `A-B` (two IPv4 addresses, inclusive) or a single address. */
export function parseIpRange(text: string): IpRange {
  const [a, b, ...rest] = text.trim().split('-');
  const first = ipToNumber(a ?? '');
  const last = b === undefined ? first : ipToNumber(b);
  if (rest.length > 0 || first === undefined || last === undefined) {
    throw new ClusterError('SERVICE_IPS_INVALID', `invalid --service-ips "${text}": use FIRST-LAST with two IPv4 addresses, e.g. 10.89.0.10-10.89.0.30`);
  }
  if (first > last) throw new ClusterError('SERVICE_IPS_INVALID', `invalid --service-ips "${text}": ${numberToIp(first)} comes after ${numberToIp(last)}`);
  if (last - first + 1 > MAX_RANGE_SIZE) throw new ClusterError('SERVICE_IPS_INVALID', `invalid --service-ips "${text}": ${last - first + 1} addresses, at most ${MAX_RANGE_SIZE}`);
  return { first, last };
}

export const formatRange = (r: IpRange): string => `${numberToIp(r.first)}-${numberToIp(r.last)}`;
export const rangeSize = (r: IpRange): number => r.last - r.first + 1;

export function cidrRange(cidr: string): IpRange {
  const [ip, bits] = cidr.split('/');
  const base = ipToNumber(ip ?? '');
  const prefix = Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad CIDR ${cidr}`);
  const size = 2 ** (32 - prefix);
  const first = Math.floor(base / size) * size;
  return { first, last: first + size - 1 };
}

const overlaps = (a: IpRange, b: IpRange): boolean => a.first <= b.last && b.first <= a.last;

/**
 * Refuses a range that overlaps a network the cluster already uses (pods, Services, the node
 * bridge), loopback (kube-proxy does not route 127.0.0.0/8 to Services: its nftables rules match
 * packets that leave through an interface, kubernetes.io/docs/reference/networking/virtual-ips),
 * or another cluster's range on this machine.
 */
export function checkServiceIpRange(range: IpRange, taken: readonly { what: string; cidr?: string; range?: IpRange }[]): void {
  const loopback = cidrRange('127.0.0.0/8');
  if (overlaps(range, loopback)) throw new ClusterError('SERVICE_IPS_INVALID', `--service-ips ${formatRange(range)} overlaps loopback 127.0.0.0/8, which kube-proxy cannot route to a Service; use an unused private range such as 10.89.0.10-10.89.0.30`);
  for (const t of taken) {
    const other = t.range ?? cidrRange(t.cidr ?? '0.0.0.0/32');
    if (overlaps(range, other)) throw new ClusterError('SERVICE_IPS_OVERLAP', `--service-ips ${formatRange(range)} overlaps ${t.what} (${t.cidr ?? formatRange(other)}); pick a range outside it`);
  }
}

export interface LoadBalancerService {
  /** namespace/name */
  key: string;
  createdAt: string;
  /** IPs already in status.loadBalancer.ingress. */
  current: readonly string[];
  /** spec.loadBalancerIP, when set (deprecated in Kubernetes but honoured when in range). */
  requested?: string | undefined;
}

export interface Allocation {
  /** Services whose status must become exactly this IP. */
  assign: Map<string, string>;
  /** Services left without an IP, with the reason (the Event's message). */
  pending: Map<string, string>;
}

/**
 * One IP per LoadBalancer Service. A Service keeps an IP it has (when in range and not taken by an
 * older Service); then requested IPs; then, oldest Service first, the lowest free address. When
 * the range is used up, the rest stay pending.
 */
export function allocateServiceIps(range: IpRange, services: readonly LoadBalancerService[]): Allocation {
  const ordered = [...services].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.key.localeCompare(b.key));
  const used = new Set<number>();
  const assign = new Map<string, string>();
  const pending = new Map<string, string>();
  const inRange = (ip: string | undefined): number | undefined => {
    const n = ip === undefined ? undefined : ipToNumber(ip);
    return n !== undefined && n >= range.first && n <= range.last ? n : undefined;
  };
  const take = (svc: LoadBalancerService, n: number) => {
    used.add(n);
    assign.set(svc.key, numberToIp(n));
  };
  for (const svc of ordered) {
    const kept = svc.current.map(inRange).find((n) => n !== undefined && !used.has(n) && (svc.requested === undefined || numberToIp(n) === svc.requested));
    if (kept !== undefined) take(svc, kept);
  }
  for (const svc of ordered) {
    if (assign.has(svc.key) || svc.requested === undefined) continue;
    const n = inRange(svc.requested);
    if (n === undefined) pending.set(svc.key, `spec.loadBalancerIP ${svc.requested} is not in the Kubernetes external service IP range ${formatRange(range)}`);
    else if (used.has(n)) pending.set(svc.key, `spec.loadBalancerIP ${svc.requested} is already assigned to another Service`);
    else take(svc, n);
  }
  let next = range.first;
  for (const svc of ordered) {
    if (assign.has(svc.key) || pending.has(svc.key)) continue;
    while (next <= range.last && used.has(next)) next++;
    if (next > range.last) {
      pending.set(svc.key, `no IP available: all ${rangeSize(range)} Kubernetes external service IPs (${formatRange(range)}) are assigned`);
      continue;
    }
    take(svc, next);
  }
  return { assign, pending };
}
