import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { deviceLabels } from './labels.js';

/** Where pods reach the hub that runs on the host: the host's address on the pod network and the hub's ports there. */
export interface HubEndpoint {
  /** IPv4 address of the host as pods see it (the node bridge's address). */
  ip: string;
  /** The hub's MQTT-over-TLS port and, when served, its HTTPS service API port. */
  ports: { mqtts: number; https?: number | undefined };
}

/** The Service name modules dial; the hub certificate must name it (and `edgehub.<ns>.svc[.cluster.local]`). */
export const EDGEHUB_SERVICE = 'edgehub';
/** The ports modules use on `edgehub`: IoT Edge's edgeHub listens on 8883 (MQTT) and 443 (HTTPS). */
export const EDGEHUB_PORTS = { mqtts: 8883, https: 443 } as const;

/**
 * The device namespace's `edgehub`: a Service without selector plus the EndpointSlice that points
 * it at the host's hub (Kubernetes docs, "Services without selectors"; the slice carries
 * `kubernetes.io/service-name` and its own `endpointslice.kubernetes.io/managed-by`, so the
 * EndpointSlice controller leaves it alone). Modules connect to `edgehub:8883` as they would to
 * the edgeHub container on IoT Edge. Pure.
 */
export function edgeHubObjects(deviceId: string, namespace: string, hub: HubEndpoint): [V1Service, V1EndpointSlice] {
  const ports = [
    { name: 'mqtts', port: EDGEHUB_PORTS.mqtts, target: hub.ports.mqtts },
    ...(hub.ports.https === undefined ? [] : [{ name: 'https', port: EDGEHUB_PORTS.https, target: hub.ports.https }]),
  ];
  const labels = deviceLabels(deviceId);
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: EDGEHUB_SERVICE, namespace, labels },
    spec: { type: 'ClusterIP', ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.target, protocol: 'TCP' })) },
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
