import { CoreV1Api, type KubeConfig, type V1Service } from '@kubernetes/client-node';
import type { Logger } from '../log/create-logger.js';
import { apiFailure, statusOf } from './kube-api-errors.js';
import { allocateServiceIps, formatRange, type IpRange, type LoadBalancerService } from './service-ip-range.js';

/** Source of the Events this controller writes (`kubectl describe service` shows them). */
export const SERVICE_IPS_COMPONENT = 'edgemu-service-ips';

export interface ReconcileResult {
  assigned: Map<string, string>;
  pending: Map<string, string>;
  /** Services whose status this pass changed. */
  changed: string[];
}

/**
 * The adapter around `allocateServiceIps`: one pass over every Service of type LoadBalancer
 * without a `spec.loadBalancerClass` (those belong to another implementation, kubernetes.io/docs/concepts/services-networking/service,
 * "Specifying class of load balancer implementation"). It writes `status.loadBalancer.ingress` — which
 * kube-proxy turns into forwarding rules for that IP — and a Warning Event for each Service left
 * without an IP (once per message; `seen` remembers what was already said).
 */
export async function reconcileLoadBalancers(kc: KubeConfig, range: IpRange, seen: Map<string, string>, logger?: Logger): Promise<ReconcileResult> {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listServiceForAllNamespaces().catch((error: unknown) => {
    throw apiFailure('listing Services', error);
  });
  const ours = list.items.filter((s) => s.spec?.type === 'LoadBalancer' && (s.spec.loadBalancerClass ?? '') === '');
  const byKey = new Map<string, V1Service>(ours.map((s) => [`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, s]));
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
      try {
        await core.replaceNamespacedServiceStatus({ name: svc.metadata?.name ?? '', namespace: svc.metadata?.namespace ?? '', body: svc });
        changed.push(key);
      } catch (error) {
        // a newer version or a deleted Service: the next pass sees it
        if (statusOf(error) !== 409 && statusOf(error) !== 404) throw apiFailure(`updating the status of Service ${key}`, error);
        continue;
      }
      if (ip !== undefined) await event(core, svc, 'Normal', 'IPAllocated', `Assigned IP ${ip} from the Kubernetes external service IP range ${formatRange(range)}`, logger);
    }
    const message = pending.get(key);
    if (message !== undefined && seen.get(key) !== message) {
      await event(core, svc, 'Warning', 'AllocationFailed', message, logger);
      logger?.warn({ service: key }, message);
    }
    if (message === undefined) seen.delete(key);
    else seen.set(key, message);
  }
  for (const key of [...seen.keys()]) if (!byKey.has(key)) seen.delete(key);
  return { assigned: assign, pending, changed };
}

async function event(core: CoreV1Api, svc: V1Service, type: 'Normal' | 'Warning', reason: string, message: string, logger?: Logger): Promise<void> {
  const now = new Date();
  const namespace = svc.metadata?.namespace ?? 'default';
  await core
    .createNamespacedEvent({
      namespace,
      body: {
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
      },
    })
    .catch((error: unknown) => logger?.warn({ err: error }, 'could not write an Event'));
}

/** Runs `reconcileLoadBalancers` every `intervalMs` until the signal aborts; a failed pass is logged and retried. */
export async function runLoadBalancerController(options: { kc: KubeConfig; range: IpRange; signal: AbortSignal; intervalMs?: number; logger?: Logger }): Promise<void> {
  const seen = new Map<string, string>();
  while (!options.signal.aborted) {
    try {
      await reconcileLoadBalancers(options.kc, options.range, seen, options.logger);
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
