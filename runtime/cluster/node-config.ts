import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * The real node's configuration files and command lines (docs/cluster.md "The real node"). Pure:
 * everything is derived from the cluster directory and a few chosen ports, so it is table-tested.
 */

/** Node label that says which pool a node belongs to (the placement contract with the agent). */
export const NODE_POOL_LABEL = 'edgemu.io/node-pool';
export type NodePool = 'real' | 'simulated';
/** Taint on simulated nodes while a real node exists: only pods that tolerate it go there. */
export const SIMULATED_TAINT = { key: NODE_POOL_LABEL, value: 'simulated', effect: 'NoSchedule' } as const;
/** The CRI namespace kubelet's images and containers live in (containerd's CRI plugin). */
export const CONTAINERD_NAMESPACE = 'k8s.io';
export const CLUSTER_DOMAIN = 'cluster.local';
/** The real node's pod network; its first address is the host's side of the bridge. */
export const REAL_POD_CIDR = '10.88.0.0/16';
export const REAL_HOST_IP = '10.88.0.1';

/** Host paths and names of one cluster's real node: short and unique per cluster directory. */
export interface NodeLayout {
  /** 8 hex chars of sha256(cluster dir): names everything on the host that belongs to this node. */
  id: string;
  nodeName: string;
  /** Sockets and volatile state (unix socket paths must stay under 108 bytes). */
  runDir: string;
  /** containerd's content and snapshots, kubelet's root, pod logs, volumes. */
  dataDir: string;
  /** Config files, in the cluster directory. */
  configDir: string;
  containerdSocket: string;
  containerdConfig: string;
  containerdRoot: string;
  containerdState: string;
  cniConfDir: string;
  cniIpamDir: string;
  kubeletRoot: string;
  kubeletConfig: string;
  kubeProxyConfig: string;
  corefile: string;
  resolvConf: string;
  podLogsDir: string;
  volumesDir: string;
  bridge: string;
  /** cgroupfs path kubelet puts every pod under (one per cluster). */
  cgroupRoot: string;
  /** What the host-side teardown reads (sysctls, nftables tables found at start). */
  hostRecord: string;
}

export function nodeLayout(clusterDir: string, clusterName: string, roots: { run?: string; data?: string } = {}): NodeLayout {
  const id = createHash('sha256').update(clusterDir).digest('hex').slice(0, 8);
  const runDir = join(roots.run ?? '/run/edgemu', id);
  const dataDir = join(roots.data ?? '/var/lib/edgemu', id);
  const configDir = join(clusterDir, 'node');
  return {
    id,
    nodeName: `${clusterName}-node`,
    runDir,
    dataDir,
    configDir,
    containerdSocket: join(runDir, 'containerd.sock'),
    containerdConfig: join(configDir, 'containerd.toml'),
    containerdRoot: join(dataDir, 'containerd'),
    containerdState: join(runDir, 'containerd'),
    cniConfDir: join(configDir, 'cni'),
    cniIpamDir: join(runDir, 'cni-ipam'),
    kubeletRoot: join(dataDir, 'kubelet'),
    kubeletConfig: join(configDir, 'kubelet.yaml'),
    kubeProxyConfig: join(configDir, 'kube-proxy.yaml'),
    corefile: join(configDir, 'Corefile'),
    resolvConf: join(configDir, 'resolv.conf'),
    podLogsDir: join(dataDir, 'pod-logs'),
    volumesDir: join(dataDir, 'volumes'),
    bridge: `edgemu${id}`,
    cgroupRoot: `/edgemu-${id}`,
    hostRecord: join(runDir, 'host-record.json'),
  };
}

export interface NodePorts {
  kubelet: number;
  kubeletHealthz: number;
  kubeProxyHealthz: number;
  kubeProxyMetrics: number;
}

const toml = (value: string): string => JSON.stringify(value);

/**
 * containerd 1.6 configuration (config version 2) for one cluster: its own root, state and
 * socket; the CRI plugin with runc (crun cannot run on hybrid cgroups), overlayfs, the CNI
 * config directory of this cluster, the locally built sandbox image, and
 * `restrict_oom_score_adj` (root without CAP_SYS_RESOURCE cannot lower oom_score_adj, and the
 * sandbox asks for -998). Netns mounts stay under the state dir so teardown finds them.
 */
export function containerdConfig(layout: NodeLayout, options: { sandboxImage: string; cniBinDir: string; runc: string }): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    'version = 2',
    `root = ${toml(layout.containerdRoot)}`,
    `state = ${toml(layout.containerdState)}`,
    'oom_score = 0',
    'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]',
    '',
    '[grpc]',
    `  address = ${toml(layout.containerdSocket)}`,
    '[ttrpc]',
    `  address = ${toml(`${layout.containerdSocket}.ttrpc`)}`,
    '[debug]',
    '  address = ""',
    '  level = "info"',
    '[metrics]',
    '  address = ""',
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${toml(join(layout.dataDir, 'opt'))}`,
    `[${cri}]`,
    `  sandbox_image = ${toml(options.sandboxImage)}`,
    '  restrict_oom_score_adj = true',
    '  disable_apparmor = true',
    '  enable_selinux = false',
    '  netns_mounts_under_state_dir = true',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    '  enable_cdi = false',
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    '  discard_unpacked_layers = false',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    '  SystemdCgroup = false',
    `  BinaryName = ${toml(options.runc)}`,
    `[${cri}.cni]`,
    `  bin_dir = ${toml(options.cniBinDir)}`,
    `  conf_dir = ${toml(layout.cniConfDir)}`,
    '  max_conf_num = 1',
    '',
  ].join('\n');
}

/**
 * CNI network (bridge + host-local, portmap for hostPort, loopback is containerd's own): the
 * bridge is created beforehand with the host address, so the plugin only attaches veths.
 * No masquerade: pods talk to the host (and each other), nothing routes further.
 */
export function cniConfig(layout: NodeLayout): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: `edgemu-${layout.id}`,
      plugins: [
        {
          type: 'bridge',
          bridge: layout.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', dataDir: layout.cniIpamDir, ranges: [[{ subnet: REAL_POD_CIDR, gateway: REAL_HOST_IP }]], routes: [{ dst: '0.0.0.0/0' }] },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/**
 * KubeletConfiguration (kubelet.config.k8s.io/v1beta1, Kubernetes docs "Kubelet Configuration
 * (v1beta1)"). The settings that matter here:
 * - `failCgroupV1: false` (1.37 refuses cgroup v1 otherwise; these hosts are hybrid v1);
 * - cgroupfs driver under a per-cluster `cgroupRoot`;
 * - serving on the bridge address (the node's InternalIP) on a chosen port, client certificates
 *   from the cluster CA only, no read-only port;
 * - image GC off (100 %): imported images cannot be pulled again, so nothing may delete them;
 *   eviction thresholds low for the same reason;
 * - CoreDNS on the host address as cluster DNS; pod logs and plugin dirs under the node's data dir.
 */
export function kubeletConfig(layout: NodeLayout, options: { ports: NodePorts; caCert: string }): string {
  const endpoint = `unix://${layout.containerdSocket}`;
  return [
    'apiVersion: kubelet.config.k8s.io/v1beta1',
    'kind: KubeletConfiguration',
    'failCgroupV1: false',
    'cgroupDriver: cgroupfs',
    `cgroupRoot: ${layout.cgroupRoot}`,
    'cgroupsPerQOS: true',
    'enforceNodeAllocatable: ["pods"]',
    `address: ${REAL_HOST_IP}`,
    `port: ${options.ports.kubelet}`,
    'readOnlyPort: 0',
    'healthzBindAddress: 127.0.0.1',
    `healthzPort: ${options.ports.kubeletHealthz}`,
    'authentication:',
    '  anonymous: {enabled: false}',
    '  webhook: {enabled: false}',
    `  x509: {clientCAFile: ${JSON.stringify(options.caCert)}}`,
    'authorization: {mode: AlwaysAllow}',
    `clusterDNS: [${REAL_HOST_IP}]`,
    `clusterDomain: ${CLUSTER_DOMAIN}`,
    `resolvConf: ${JSON.stringify(layout.resolvConf)}`,
    `containerRuntimeEndpoint: ${JSON.stringify(endpoint)}`,
    `imageServiceEndpoint: ${JSON.stringify(endpoint)}`,
    'imageGCHighThresholdPercent: 100',
    'imageGCLowThresholdPercent: 99',
    'evictionHard: {memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}',
    'failSwapOn: false',
    'protectKernelDefaults: false',
    'serializeImagePulls: false',
    'rotateCertificates: false',
    'serverTLSBootstrap: false',
    `podLogsDir: ${JSON.stringify(layout.podLogsDir)}`,
    `volumePluginDir: ${JSON.stringify(join(layout.dataDir, 'volume-plugins'))}`,
    'containerLogMaxSize: 10Mi',
    'containerLogMaxFiles: 2',
    'maxPods: 110',
    'nodeStatusReportFrequency: 1m',
    'registerNode: true',
    'localStorageCapacityIsolation: true',
    '',
  ].join('\n');
}

/** kubelet's command line: the config file plus what only flags can say. */
export function kubeletArgs(layout: NodeLayout, kubeconfig: string): string[] {
  return [
    `--config=${layout.kubeletConfig}`,
    `--kubeconfig=${kubeconfig}`,
    `--root-dir=${layout.kubeletRoot}`,
    `--cert-dir=${join(layout.kubeletRoot, 'pki')}`,
    `--hostname-override=${layout.nodeName}`,
    `--node-ip=${REAL_HOST_IP}`,
    `--node-labels=${NODE_POOL_LABEL}=real`,
    '--v=1',
  ];
}

/**
 * KubeProxyConfiguration in nftables mode (the userspace mode is gone; iptables would need the
 * legacy tables): chosen loopback ports, conntrack sysctls left as they are (0 = do not set).
 */
export function kubeProxyConfig(layout: NodeLayout, options: { ports: NodePorts; kubeconfig: string }): string {
  return [
    'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
    'kind: KubeProxyConfiguration',
    'mode: nftables',
    `hostnameOverride: ${layout.nodeName}`,
    `clusterCIDR: ${REAL_POD_CIDR}`,
    'clientConnection:',
    `  kubeconfig: ${JSON.stringify(options.kubeconfig)}`,
    `healthzBindAddress: 127.0.0.1:${options.ports.kubeProxyHealthz}`,
    `metricsBindAddress: 127.0.0.1:${options.ports.kubeProxyMetrics}`,
    `nodePortAddresses: ["${REAL_HOST_IP}/32"]`,
    'conntrack:',
    '  maxPerCore: 0',
    '  min: 0',
    '  tcpEstablishedTimeout: 0s',
    '  tcpCloseWaitTimeout: 0s',
    '  udpTimeout: 0s',
    '  udpStreamTimeout: 0s',
    '',
  ].join('\n');
}

/** Module names with up to this many `_` resolve as written (one CoreDNS rewrite rule each). */
export const UNDERSCORE_REWRITES = 8;

/**
 * CoreDNS serving the cluster domain from the API (kubernetes plugin, coredns.io/plugins/kubernetes)
 * on the host address only, port 53 (pods' resolv.conf has no port). Other names are forwarded
 * to the host's resolvers.
 *
 * Module names as written: on IoT Edge's Docker network a module reaches another by its manifest
 * name (`http://image_classifier:80`), but a Kubernetes Service name cannot hold `_`, so the
 * translation names the Service `image-classifier` (docs/translate.md). The rewrite plugin
 * (coredns.io/plugins/rewrite) maps a query for `image_classifier.<ns>.svc.cluster.local` — what
 * the pod's resolver asks through its search domains — to the Service's name, one `_` per rule,
 * and `answer auto` writes the answer back under the name asked for, as resolvers require.
 * (`.` in a name and long names shortened with a hash are not rewritten.)
 */
export function corefile(options: { kubeconfig: string; context: string; bind?: string; port?: number }): string {
  const domain = CLUSTER_DOMAIN.replace(/\./g, '\\.');
  // Only `<service>.<namespace>.svc.<domain>.`: SRV names (`_port._proto.<service>…`) have more labels and stay as they are.
  const rewrite = `  rewrite continue name regex ^([^.]*)_([^.]*)\\.([^.]+)\\.svc\\.${domain}\\.$ {1}-{2}.{3}.svc.${CLUSTER_DOMAIN}. answer auto`;
  return [
    `.:${options.port ?? 53} {`,
    `  bind ${options.bind ?? REAL_HOST_IP}`,
    '  errors',
    ...Array.from({ length: UNDERSCORE_REWRITES }, () => rewrite),
    `  kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {`,
    `    kubeconfig ${options.kubeconfig} ${options.context}`,
    '    pods insecure',
    '    fallthrough in-addr.arpa ip6.arpa',
    '    ttl 5',
    '  }',
    '  forward . /etc/resolv.conf',
    '  cache 5',
    '}',
    '',
  ].join('\n');
}

/** kubelet's resolvConf: no host search domains leak into pods; DNS is CoreDNS. */
export function nodeResolvConf(): string {
  return `nameserver ${REAL_HOST_IP}\n`;
}

/**
 * Sysctls kubelet, kube-proxy or the CNI plugins may change (Kubernetes docs "kubelet
 * configuration": kubelet sets vm.overcommit_memory, kernel.panic, kernel.panic_on_oops;
 * the bridge plugin sets ip_forward). Recorded at start, restored at teardown when changed.
 */
export const WATCHED_SYSCTLS: readonly string[] = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.forwarding',
  'net.ipv6.conf.all.forwarding',
  'net.ipv4.conf.all.route_localnet',
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.netfilter.nf_conntrack_max',
  'net.netfilter.nf_conntrack_tcp_timeout_established',
  'net.netfilter.nf_conntrack_tcp_timeout_close_wait',
];

/** Sysctls whose value differs now from the recorded one: what teardown writes back. */
export function sysctlsToRestore(recorded: Record<string, string>, current: Record<string, string | undefined>): [string, string][] {
  return Object.entries(recorded).filter(([key, value]) => current[key] !== undefined && current[key] !== value);
}
