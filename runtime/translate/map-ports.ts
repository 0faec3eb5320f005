import type { V1ServicePort } from '@kubernetes/client-node';
import { isEmpty, isObj, ordinal, type Warn } from './create-options-values.js';
import { EXPERIMENTAL_KEY, type Experimental } from './k8s-experimental.js';
import type { MappedCreateOptions } from './translate-types.js';

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
 * Ports. Every exposed or bound container port is a container port and a port of the module's
 * Service, so modules reach `<module>:<port>` as on IoT Edge's Docker network (the Service is
 * headless, so any other port of the pod answers too — docs/translate.md). A Docker host port
 * binding (`HostConfig.PortBindings`, Docker Engine API "ContainerCreate") becomes the container
 * port's `hostPort` (and `hostIP`), so the port opens on the node the pod runs on, as `HostPort`
 * does on an IoT Edge device (Kubernetes docs, "Configuration Best Practices": hostPort). Only a
 * `k8s-experimental.serviceOptions.type` of NodePort/LoadBalancer makes a node-port Service (node
 * port = host port when in the node-port range). TCP/UDP/SCTP are kept.
 */
export function mapPorts(exposed: unknown, bindings: unknown, serviceOptions: Experimental['serviceOptions'], out: MappedCreateOptions, warn: Warn): void {
  const ports = new Map<string, PortKey & { hostPorts: { port: number; ip: string | undefined }[] }>();
  const add = (key: string, path: string): (PortKey & { hostPorts: { port: number; ip: string | undefined }[] }) | undefined => {
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

  if (isObj(bindings)) {
    for (const [key, list] of Object.entries(bindings)) {
      const path = `createOptions.HostConfig.PortBindings[${JSON.stringify(key)}]`;
      const entry = add(key, 'createOptions.HostConfig.PortBindings');
      if (entry === undefined) continue;
      // `null` or `[]` binds nothing in Docker.
      if (list === null || (Array.isArray(list) && list.length === 0)) continue;
      if (!Array.isArray(list)) {
        warn(`${path} is not a list and was ignored`);
        continue;
      }
      list.forEach((b: unknown, i) => {
        const binding = isObj(b) ? b : {};
        const hostIp = typeof binding.HostIp === 'string' && binding.HostIp !== '' && binding.HostIp !== '0.0.0.0' && binding.HostIp !== '::' ? binding.HostIp : undefined;
        const hp = binding.HostPort;
        if (hp === undefined || hp === null || hp === '') {
          // Docker picks a free host port; a pod's hostPort must be a fixed number.
          warn(`${path}[${i}] asks for a random host port, which Kubernetes cannot give (hostPort must be a number); the port is reachable in the cluster only`);
        } else if ((typeof hp === 'string' && /^\d{1,5}$/.test(hp)) || (typeof hp === 'number' && Number.isInteger(hp))) {
          const n = Number(hp);
          if (n < 1 || n > 65535) warn(`${path}[${i}].HostPort ${n} is out of range and was ignored`);
          else entry.hostPorts.push({ port: n, ip: hostIp === 'localhost' ? '127.0.0.1' : hostIp });
        } else {
          warn(`${path}[${i}].HostPort ${JSON.stringify(hp)} is not a port number (ranges are not supported) and was ignored`);
        }
      });
    }
  } else if (!isEmpty(bindings)) warn('createOptions.HostConfig.PortBindings is not an object and was ignored');

  const sorted = [...ports.values()].sort((a, b) => a.port - b.port || ordinal(a.protocol, b.protocol));
  const type = serviceOptions?.type;
  const usedNodePorts = new Set<string>();
  for (const p of sorted) {
    const hostPorts = [...new Map(p.hostPorts.map((h) => [`${h.ip ?? ''}:${h.port}`, h])).values()];
    const first = hostPorts[0];
    if (hostPorts.length > 1) {
      warn(`createOptions.HostConfig.PortBindings["${p.port}/${p.protocol.toLowerCase()}"] binds several host ports; only ${first!.port} is mapped (a container port has one hostPort)`);
    }
    out.containerPorts.push({ containerPort: p.port, protocol: p.protocol, ...(first === undefined ? {} : { hostPort: first.port, ...(first.ip === undefined ? {} : { hostIP: first.ip }) }) });
    const sp: V1ServicePort = { name: `${p.protocol.toLowerCase()}-${p.port}`, port: p.port, targetPort: p.port, protocol: p.protocol };
    if (first !== undefined && (type === 'NodePort' || type === 'LoadBalancer')) {
      if (first.port < NODE_PORT_RANGE.min || first.port > NODE_PORT_RANGE.max) {
        warn(`host port ${first.port} of ${p.port}/${p.protocol.toLowerCase()} is outside the node-port range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}; Kubernetes picks the node port`);
      } else if (usedNodePorts.has(`${first.port}/${p.protocol}`)) {
        warn(`host port ${first.port}/${p.protocol.toLowerCase()} is bound twice; Kubernetes picks the node port for ${p.port}/${p.protocol.toLowerCase()}`);
      } else {
        // Kubernetes keeps node ports unique per (port, protocol): TCP and UDP may share a number.
        sp.nodePort = first.port;
        usedNodePorts.add(`${first.port}/${p.protocol}`);
      }
    }
    out.servicePorts.push(sp);
  }
  if (type !== undefined && out.servicePorts.length > 0) out.serviceType = type;
  if (serviceOptions?.loadBalancerIP !== undefined) {
    if (type === 'LoadBalancer') out.loadBalancerIP = serviceOptions.loadBalancerIP;
    else warn(`createOptions.${EXPERIMENTAL_KEY}.serviceOptions.loadBalancerIP applies only to type LoadBalancer; ignored`);
  }
}
