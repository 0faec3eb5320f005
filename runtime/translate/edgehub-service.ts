import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Layout } from './layout.js';

/** Where pods reach the hub that runs on the host: the host's address on the pod network and the hub's ports there. */
export interface HubEndpoint {
  /** IPv4 address of the host as pods see it (the node bridge's address). */
  ip: string;
  /** The hub's MQTT-over-TLS port and, when served, its HTTPS service API and AMQP-over-TLS ports. */
  ports: { mqtts: number; https?: number | undefined; amqps?: number | undefined };
}

/** The Service name modules dial; the hub certificate must name it (and `edgehub.<ns>.svc[.cluster.local]`). */
export const EDGEHUB_SERVICE = 'edgehub';
/** The ports modules use on `edgehub`: IoT Edge's edgeHub listens on 8883 (MQTT), 5671 (AMQP) and 443 (HTTPS). */
export const EDGEHUB_PORTS = { mqtts: 8883, amqps: 5671, https: 443 } as const;

/**
 * The device namespace's `edgehub`: a Service without selector plus the EndpointSlice that points
 * it at the host's hub (Kubernetes docs, "Services without selectors"; the slice carries
 * `kubernetes.io/service-name` and its own `endpointslice.kubernetes.io/managed-by`, so the
 * EndpointSlice controller leaves it alone). Modules connect to `edgehub:8883` as they would to
 * the edgeHub container on IoT Edge. The layout gives the Service type and which of the hub's
 * ports it carries (in that order; a port the hub does not serve is left out). Pure.
 */
export function edgeHubObjects(
  labels: Readonly<Record<string, string>>,
  namespace: string,
  hub: HubEndpoint,
  shape: Layout['edgeHub'],
): [V1Service, V1EndpointSlice] {
  const ports = shape.ports.flatMap((name) => {
    const target = hub.ports[name];
    return target === undefined ? [] : [{ name, port: EDGEHUB_PORTS[name], target }];
  });
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: EDGEHUB_SERVICE, namespace, labels: { ...labels } },
    spec: { type: shape.type, ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.target, protocol: 'TCP' })) },
  };
  const slice: V1EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${EDGEHUB_SERVICE}-host`,
      namespace,
      labels: { ...labels, 'kubernetes.io/service-name': EDGEHUB_SERVICE, 'endpointslice.kubernetes.io/managed-by': 'edgemu.io' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [hub.ip], conditions: { ready: true } }],
    ports: ports.map((p) => ({ name: p.name, port: p.target, protocol: 'TCP' })),
  };
  return [service, slice];
}
