import { join } from 'node:path';
import { NODE_POOL_LABEL } from './node-config.js';
import { provisionerArgs } from './storage-objects.js';

/** Ports one local cluster binds, all on 127.0.0.1 and all chosen free at start. */
export interface ControlPlanePorts {
  etcdClient: number;
  etcdPeer: number;
  apiServer: number;
  controllerManager: number;
  scheduler: number;
}

/** Files of one cluster's directory (see docs/cluster.md "Where things live"). */
export interface ClusterPaths {
  dir: string;
  kubeconfig: string;
  caCert: string;
  caKey: string;
  adminCert: string;
  adminKey: string;
  etcdData: string;
  apiserverCertDir: string;
  kwokConfig: string;
  logs: string;
  state: string;
}

export function clusterPaths(dir: string): ClusterPaths {
  return {
    dir,
    kubeconfig: join(dir, 'kubeconfig'),
    caCert: join(dir, 'pki', 'ca.crt'),
    caKey: join(dir, 'pki', 'ca.key'),
    adminCert: join(dir, 'pki', 'admin.crt'),
    adminKey: join(dir, 'pki', 'admin.key'),
    etcdData: join(dir, 'etcd-data'),
    apiserverCertDir: join(dir, 'apiserver'),
    kwokConfig: join(dir, 'kwok.yaml'),
    logs: join(dir, 'logs'),
    state: join(dir, 'cluster.json'),
  };
}

export type ComponentId = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok' | 'local-path-provisioner' | 'service-ips' | NodeComponentId;
/** Processes of the real node (runtime/cluster/real-node.ts). */
export type NodeComponentId = 'containerd' | 'kubelet' | 'kube-proxy' | 'coredns';

/** One process of the control plane: how to start it. */
export interface ComponentCommand {
  id: ComponentId;
  binary: string;
  args: string[];
}

export interface CommandBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
  localPathProvisioner: string;
  /** The image the provisioner's helper pods run. */
  volumeHelperImage: string;
}

/** Service ClusterIPs come from here (a Service gets one; nothing routes to it: fake nodes). */
export const SERVICE_CIDR = '10.96.0.0/16';
/** KWOK's pod IP pool; its default 10.0.0.0/24 is tiny (KWOK's `--cidr` flag, kwok.sigs.k8s.io). */
export const POD_CIDR = '10.244.0.0/16';
export const LOOPBACK = '127.0.0.1';

/** kwokctl --disable-qps-limits for the controllers: a test cluster should never throttle its own clients. */
const NO_CLIENT_THROTTLING = ['--kube-api-qps=5000', '--kube-api-burst=10000'] as const;

/**
 * The command lines of the control plane's processes, in start order (docs/cluster.md "Safety"). Pure so the flags
 * are table-tested. Rules kept here:
 * - everything binds 127.0.0.1 only; ports are never the well-known defaults (docs/cluster.md "Safety");
 * - no `--advertise-address`: a loopback advertise address is rejected for the `kubernetes`
 *   Service endpoints (Kubernetes docs, kube-apiserver `--advertise-address`), the apiserver picks the default-route address;
 * - one CA and one admin cert (O=system:masters) serve as serving cert, client cert and SA key
 *   (kwokctl's scheme);
 * - `--leader-elect=false` and high client QPS for the controllers (Kubernetes docs, kube-controller-manager and kube-scheduler flags).
 */
export function controlPlaneCommands(bin: CommandBinaries, paths: ClusterPaths, ports: ControlPlanePorts): ComponentCommand[] {
  const etcdClient = `http://${LOOPBACK}:${ports.etcdClient}`;
  const etcdPeer = `http://${LOOPBACK}:${ports.etcdPeer}`;
  // The flags the controller-manager and the scheduler share: the admin kubeconfig for API
  // access and for delegated authn/authz, no leader election, a loopback health port.
  const apiClientArgs = (securePort: number): string[] => [
    `--kubeconfig=${paths.kubeconfig}`,
    `--authentication-kubeconfig=${paths.kubeconfig}`,
    `--authorization-kubeconfig=${paths.kubeconfig}`,
    '--leader-elect=false',
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${securePort}`,
    '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
  ];
  return [
    {
      id: 'etcd',
      binary: bin.etcd,
      args: [
        '--name=node0',
        `--data-dir=${paths.etcdData}`,
        `--listen-client-urls=${etcdClient}`,
        `--advertise-client-urls=${etcdClient}`,
        `--listen-peer-urls=${etcdPeer}`,
        `--initial-advertise-peer-urls=${etcdPeer}`,
        `--initial-cluster=node0=${etcdPeer}`,
        '--unsafe-no-fsync=true',
        '--auto-compaction-retention=1',
        '--quota-backend-bytes=2147483648',
        '--log-level=warn',
      ],
    },
    {
      id: 'kube-apiserver',
      binary: bin.kubeApiserver,
      args: [
        `--etcd-servers=${etcdClient}`,
        '--etcd-prefix=/registry',
        `--bind-address=${LOOPBACK}`,
        `--secure-port=${ports.apiServer}`,
        `--tls-cert-file=${paths.adminCert}`,
        `--tls-private-key-file=${paths.adminKey}`,
        `--client-ca-file=${paths.caCert}`,
        `--cert-dir=${paths.apiserverCertDir}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${paths.adminKey}`,
        `--service-account-signing-key-file=${paths.adminKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        // Node authorizer for kubelets that present a system:node:<name> identity, RBAC for everyone
        // else; the admin certificate is O=system:masters, which RBAC's cluster-admin binding allows
        // everything (kubernetes.io/docs/reference/access-authn-authz/node, .../rbac "User-facing roles")
        '--authorization-mode=Node,RBAC',
        '--allow-privileged=true',
        // logs/exec/port-forward reach the real node's kubelet at its InternalIP (the pod bridge
        // address), never through a DNS lookup of the node name, with a client cert it trusts
        '--kubelet-preferred-address-types=InternalIP,Hostname',
        `--kubelet-client-certificate=${paths.adminCert}`,
        `--kubelet-client-key=${paths.adminKey}`,
        // kwokctl --disable-qps-limits: a test cluster should never throttle its own clients
        '--enable-priority-and-fairness=false',
        '--max-requests-inflight=0',
        '--max-mutating-requests-inflight=0',
      ],
    },
    {
      id: 'kube-controller-manager',
      binary: bin.kubeControllerManager,
      args: [
        ...apiClientArgs(ports.controllerManager),
        `--service-account-private-key-file=${paths.adminKey}`,
        `--root-ca-file=${paths.caCert}`,
        // the csrsigning controller issues CertificateSigningRequests of the built-in signers
        // (kube-apiserver-client: `edgemu cluster user create`) with the cluster CA
        // (kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests, "Signers")
        `--cluster-signing-cert-file=${paths.caCert}`,
        `--cluster-signing-key-file=${paths.caKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--controllers=*',
        ...NO_CLIENT_THROTTLING,
        '--concurrent-deployment-syncs=10',
        '--concurrent-replicaset-syncs=10',
      ],
    },
    {
      id: 'kube-scheduler',
      binary: bin.kubeScheduler,
      args: [...apiClientArgs(ports.scheduler), ...NO_CLIENT_THROTTLING],
    },
    {
      id: 'kwok',
      binary: bin.kwok,
      // no --server-address/--node-port: KWOK then opens no listener at all; it manages only the
      // simulated pool, never the real node (kwok.sigs.k8s.io docs "kwok" command flags)
      args: [
        `--kubeconfig=${paths.kubeconfig}`,
        `--config=${paths.kwokConfig}`,
        '--manage-all-nodes=false',
        `--manage-nodes-with-label-selector=${NODE_POOL_LABEL}=simulated`,
        '--node-lease-duration-seconds=40',
        `--cidr=${POD_CIDR}`,
        `--node-ip=${LOOPBACK}`,
      ],
    },
    {
      id: 'local-path-provisioner',
      binary: bin.localPathProvisioner,
      args: provisionerArgs({ kubeconfig: paths.kubeconfig, helperImage: bin.volumeHelperImage }),
    },
  ];
}

/** The kubeconfig every component and every client uses (the one admin certificate, see pki.ts). */
export function renderKubeconfig(options: { server: string; caCert: string; clientCert: string; clientKey: string; contextName: string }): string {
  const { server, caCert, clientCert, clientKey, contextName } = options;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${contextName}`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caCert}`,
    'users:',
    `- name: ${contextName}-admin`,
    '  user:',
    `    client-certificate: ${clientCert}`,
    `    client-key: ${clientKey}`,
    'contexts:',
    `- name: ${contextName}`,
    '  context:',
    `    cluster: ${contextName}`,
    `    user: ${contextName}-admin`,
    `current-context: ${contextName}`,
    '',
  ].join('\n');
}

/** Patterns in a component's log that mean "my port was taken" (docs/cluster.md "Safety"). */
export function isPortInUseLog(log: string): boolean {
  return /address already in use|bind: address already in use|EADDRINUSE/i.test(log);
}
