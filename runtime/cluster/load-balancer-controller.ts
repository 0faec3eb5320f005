import type { Logger } from '../log/create-logger.js';
import { ClusterError } from './cluster-errors.js';
import { httpCall, type AdminTls, type HttpResult } from './kube-http.js';
import { allocateServiceIps, formatRange, type IpRange, type LoadBalancerService } from './service-ip-range.js';

/** Source of the Events this controller writes (`kubectl describe service` shows them). */
export const SERVICE_IPS_COMPONENT = 'edgemu-service-ips';

/**
 * The apiserver the controller talks to, and the admin certificate it talks with. Plain HTTPS
 * (kube-http.ts), not @kubernetes/client-node: the controller is a process of its own, and the
 * client library was most of its memory (docs/cluster.md "LoadBalancer IPs").
 */
export interface ApiTarget {
  server: string;
  tls: AdminTls;
}

export interface ReconcileResult {
  assigned: Map<string, string>;
  pending: Map<string, string>;
  /** Services whose status this pass changed. */
  changed: string[];
}

/** The parts of a core/v1 Service this controller reads and writes. */
interface ServiceJson {
  metadata?: { name?: string; namespace?: string; uid?: string; creationTimestamp?: string };
  spec?: { type?: string; loadBalancerClass?: string; loadBalancerIP?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string; ipMode?: string }[] } } & Record<string, unknown>;
}

/**
 * The adapter around `allocateServiceIps`: one pass over every Service of type LoadBalancer
 * without a `spec.loadBalancerClass` (those belong to another implementation, kubernetes.io/docs/concepts/services-networking/service,
 * "Specifying class of load balancer implementation"). It writes `status.loadBalancer.ingress` — which
 * kube-proxy turns into forwarding rules for that IP — and a Warning Event for each Service left
 * without an IP (once per message; `seen` remembers what was already said).
 */
export async function reconcileLoadBalancers(api: ApiTarget, range: IpRange, seen: Map<string, string>, logger?: Logger): Promise<ReconcileResult> {
  const list = await call(api, 'GET', '/api/v1/services');
  if (list.status !== 200) throw failure('listing Services', list);
  const items = (JSON.parse(list.body) as { items?: ServiceJson[] }).items ?? [];
  const ours = items.filter((s) => s.spec?.type === 'LoadBalancer' && (s.spec.loadBalancerClass ?? '') === '');
  const byKey = new Map<string, ServiceJson>(ours.map((s) => [`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, s]));
  const input: LoadBalancerService[] = [...byKey].map(([key, s]) => ({
    key,
    createdAt: s.metadata?.creationTimestamp === undefined ? '' : new Date(s.metadata.creationTimestamp).toISOString(),
    current: (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => ip !== ''),
    requested: s.spec?.loadBalancerIP === undefined || s.spec.loadBalancerIP === '' ? undefined : s.spec.loadBalancerIP,
  }));
  const { assign, pending } = allocateServiceIps(range, input);
  const changed: string[] = [];
  for (const [key, svc] of byKey) {
    const ip = assign.get(key);
    const want = ip === undefined ? [] : [ip];
    const have = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
    if (want.join(',') !== have.join(',')) {
      svc.status = { ...svc.status, loadBalancer: { ingress: want.map((w) => ({ ip: w, ipMode: 'VIP' })) } };
      const r = await call(api, 'PUT', `/api/v1/namespaces/${svc.metadata?.namespace ?? ''}/services/${svc.metadata?.name ?? ''}/status`, svc);
      // a newer version or a deleted Service: the next pass sees it
      if (r.status === 409 || r.status === 404) continue;
      if (r.status !== 200) throw failure(`updating the status of Service ${key}`, r);
      changed.push(key);
      if (ip !== undefined) await event(api, svc, 'Normal', 'IPAllocated', `Assigned IP ${ip} from the Kubernetes external service IP range ${formatRange(range)}`, logger);
    }
    const message = pending.get(key);
    if (message !== undefined && seen.get(key) !== message) {
      await event(api, svc, 'Warning', 'AllocationFailed', message, logger);
      logger?.warn({ service: key }, message);
    }
    if (message === undefined) seen.delete(key);
    else seen.set(key, message);
  }
  for (const key of [...seen.keys()]) if (!byKey.has(key)) seen.delete(key);
  return { assigned: assign, pending, changed };
}

const call = (api: ApiTarget, method: string, path: string, body?: unknown): Promise<HttpResult> =>
  httpCall(`${api.server}${path}`, { method, tls: api.tls, timeoutMs: 10_000, ...(body === undefined ? {} : { body }) });

/** A refused call as `KUBE_API_FAILED`, with the API server's Status message when there is one. */
function failure(what: string, r: HttpResult): ClusterError {
  let message = r.body.slice(0, 300);
  try {
    message = (JSON.parse(r.body) as { message?: string }).message ?? message;
  } catch {
    // not a Status body
  }
  return new ClusterError('KUBE_API_FAILED', `${what} failed (HTTP ${r.status}): ${message}`);
}

async function event(api: ApiTarget, svc: ServiceJson, type: 'Normal' | 'Warning', reason: string, message: string, logger?: Logger): Promise<void> {
  const now = new Date().toISOString();
  const namespace = svc.metadata?.namespace ?? 'default';
  const body = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${svc.metadata?.name ?? 'service'}.` },
    involvedObject: { apiVersion: 'v1', kind: 'Service', name: svc.metadata?.name ?? '', namespace, ...(svc.metadata?.uid === undefined ? {} : { uid: svc.metadata.uid }) },
    type,
    reason,
    message,
    source: { component: SERVICE_IPS_COMPONENT },
    reportingComponent: SERVICE_IPS_COMPONENT,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
  const r = await call(api, 'POST', `/api/v1/namespaces/${namespace}/events`, body).catch((error: unknown) => ({ status: 0, body: String(error) }));
  if (r.status !== 201) logger?.warn({ status: r.status, body: r.body.slice(0, 300) }, 'could not write an Event');
}

/** Runs `reconcileLoadBalancers` every `intervalMs` until the signal aborts; a failed pass is logged and retried. */
export async function runLoadBalancerController(options: { api: ApiTarget; range: IpRange; signal: AbortSignal; intervalMs?: number; logger?: Logger }): Promise<void> {
  const seen = new Map<string, string>();
  while (!options.signal.aborted) {
    try {
      await reconcileLoadBalancers(options.api, options.range, seen, options.logger);
    } catch (error) {
      options.logger?.warn({ err: error }, 'LoadBalancer IP pass failed; retrying');
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, options.intervalMs ?? 1000);
      options.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
}
