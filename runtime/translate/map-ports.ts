import type { V1ServicePort } from '@kubernetes/client-node';
import { isEmpty, isObj, ordinal, type Warn } from './create-options-values.js';
import { EXPERIMENTAL_KEY, type Experimental } from './k8s-experimental.js';
import type { MappedCreateOptions } from './translate-types.js';

const LOOPBACK_IPS = new Set(['127.0.0.1', '::1', 'localhost']);

/** The default NodePort range of kube-apiserver (`--service-node-port-range`). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

interface PortKey {
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

function parsePortKey(key: string): PortKey | undefined {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(key.trim());
  if (m === null) return undefined;
  const port = Number(m[1]);
  if (port < 1 || port > 65535) return undefined;
  return { port, protocol: (m[2] ?? 'tcp').toUpperCase() as PortKey['protocol'] };
}

/**
 * Ports (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Kubernetes/edgedeployment/service/KubernetesServiceMapper.cs, fixed): every container port gets a Service port of the same
 * number, so modules reach `<module>:<port>` as on IoT Edge's Docker network; a bound host port
 * makes the Service a NodePort, with the node port equal to the host port when it lies in the
 * node-port range. TCP/UDP/SCTP are kept.
 */
export function mapPorts(exposed: unknown, bindings: unknown, serviceOptions: Experimental['serviceOptions'], out: MappedCreateOptions, warn: Warn): void {
  const ports = new Map<string, PortKey & { hostPorts: (number | undefined)[] }>();
  const add = (key: string, path: string): (PortKey & { hostPorts: (number | undefined)[] }) | undefined => {
    const parsed = parsePortKey(key);
    if (parsed === undefined) {
      warn(`${path}[${JSON.stringify(key)}] is not a "<port>[/tcp|udp|sctp]" key (port ranges are not supported) and was ignored`);
      return undefined;
    }
    const id = `${parsed.port}/${parsed.protocol}`;
    let entry = ports.get(id);
    if (entry === undefined) ports.set(id, (entry = { ...parsed, hostPorts: [] }));
    return entry;
  };
  if (isObj(exposed)) for (const key of Object.keys(exposed)) add(key, 'createOptions.ExposedPorts');
  else if (!isEmpty(exposed)) warn('createOptions.ExposedPorts is not an object and was ignored');

  let bound = false;
  if (isObj(bindings)) {
    for (const [key, list] of Object.entries(bindings)) {
      const path = `createOptions.HostConfig.PortBindings[${JSON.stringify(key)}]`;
      const entry = add(key, 'createOptions.HostConfig.PortBindings');
      if (entry === undefined) continue;
      // `null` or `[]` binds nothing in Docker; `[{}]` / `HostPort: ""` binds a random host port.
      if (list === null || (Array.isArray(list) && list.length === 0)) continue;
      if (!Array.isArray(list)) {
        warn(`${path} is not a list and was ignored`);
        continue;
      }
      list.forEach((b: unknown, i) => {
        const binding = isObj(b) ? b : {};
        const hostIp = binding.HostIp;
        if (typeof hostIp === 'string' && LOOPBACK_IPS.has(hostIp)) {
          // Docker makes a loopback binding reachable from the host only; a node port would open
          // it on every node address. Keep the port cluster-internal instead.
          warn(`${path}[${i}] binds to ${hostIp} only; it is not exposed as a node port (use kubectl port-forward to reach it from the host)`);
          return;
        }
        if (typeof hostIp === 'string' && hostIp !== '' && hostIp !== '0.0.0.0' && hostIp !== '::') {
          warn(`${path}[${i}].HostIp ${hostIp} is not supported on Kubernetes (a NodePort listens on every node address); ignored`);
        }
        const hp = binding.HostPort;
        if (hp === undefined || hp === null || hp === '') {
          entry.hostPorts.push(undefined);
          bound = true;
        } else if ((typeof hp === 'string' && /^\d{1,5}$/.test(hp)) || (typeof hp === 'number' && Number.isInteger(hp))) {
          const n = Number(hp);
          if (n < 1 || n > 65535) warn(`${path}[${i}].HostPort ${n} is out of range and was ignored`);
          else {
            entry.hostPorts.push(n);
            bound = true;
          }
        } else {
          warn(`${path}[${i}].HostPort ${JSON.stringify(hp)} is not a port number (ranges are not supported) and was ignored`);
        }
      });
    }
  } else if (!isEmpty(bindings)) warn('createOptions.HostConfig.PortBindings is not an object and was ignored');

  const sorted = [...ports.values()].sort((a, b) => a.port - b.port || ordinal(a.protocol, b.protocol));
  const type = serviceOptions?.type ?? (bound ? 'NodePort' : 'ClusterIP');
  const usedNodePorts = new Set<string>();
  for (const p of sorted) {
    out.containerPorts.push({ containerPort: p.port, protocol: p.protocol });
    const sp: V1ServicePort = { name: `${p.protocol.toLowerCase()}-${p.port}`, port: p.port, targetPort: p.port, protocol: p.protocol };
    const hostPorts = [...new Set(p.hostPorts)];
    const first = hostPorts.find((h) => h !== undefined);
    if (hostPorts.length > 1) {
      warn(`createOptions.HostConfig.PortBindings["${p.port}/${p.protocol.toLowerCase()}"] binds several host ports; only ${first ?? 'a random one'} is mapped (a Service port has one node port)`);
    }
    if (first !== undefined && type !== 'ClusterIP') {
      if (first < NODE_PORT_RANGE.min || first > NODE_PORT_RANGE.max) {
        warn(`host port ${first} of ${p.port}/${p.protocol.toLowerCase()} is outside the node-port range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}; Kubernetes picks the node port`);
      } else if (usedNodePorts.has(`${first}/${p.protocol}`)) {
        warn(`host port ${first}/${p.protocol.toLowerCase()} is bound twice; Kubernetes picks the node port for ${p.port}/${p.protocol.toLowerCase()}`);
      } else {
        // Kubernetes keeps node ports unique per (port, protocol): TCP and UDP may share a number,
        // as Docker lets 53/tcp and 53/udp bind the same host port.
        sp.nodePort = first;
        usedNodePorts.add(`${first}/${p.protocol}`);
      }
    }
    out.servicePorts.push(sp);
  }
  if (out.servicePorts.length > 0) out.serviceType = type;
  if (serviceOptions?.loadBalancerIP !== undefined) {
    if (type === 'LoadBalancer') out.loadBalancerIP = serviceOptions.loadBalancerIP;
    else warn(`createOptions.${EXPERIMENTAL_KEY}.serviceOptions.loadBalancerIP applies only to type LoadBalancer; ignored`);
  }
}
