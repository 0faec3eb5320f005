import { describe, expect, it } from 'vitest';
import { clusterPaths, controlPlaneCommands, isPortInUseLog, renderKubeconfig, type ControlPlanePorts } from '../../../runtime/cluster/control-plane-commands.js';
import { parse } from 'yaml';

const bin = { etcd: '/c/etcd', kubeApiserver: '/c/kube-apiserver', kubeControllerManager: '/c/kcm', kubeScheduler: '/c/sched', kwok: '/c/kwok', localPathProvisioner: '/c/lpp', volumeHelperImage: 'edgemu.local/busybox:v1' };
const ports: ControlPlanePorts = { etcdClient: 41001, etcdPeer: 41002, apiServer: 41003, controllerManager: 41004, scheduler: 41005 };
const paths = clusterPaths('/state/clusters/edgemu');
const commands = controlPlaneCommands(bin, paths, ports);
const byId = (id: string) => commands.find((c) => c.id === id)!;
const flag = (id: string, name: string) => byId(id).args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');

describe('control-plane command lines', () => {
  it('start in order: etcd, the apiserver, then its clients', () => {
    expect(commands.map((c) => c.id)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'local-path-provisioner']);
  });

  it('runs the volume provisioner against the cluster with the local helper image', () => {
    expect(byId('local-path-provisioner').args).toEqual(expect.arrayContaining(['start', `--kubeconfig=${paths.kubeconfig}`, '--helper-image=edgemu.local/busybox:v1', '--provisioner-name=rancher.io/local-path']));
  });

  it.each([
    ['etcd', 'listen-client-urls', 'http://127.0.0.1:41001'],
    ['etcd', 'listen-peer-urls', 'http://127.0.0.1:41002'],
    ['etcd', 'advertise-client-urls', 'http://127.0.0.1:41001'],
    ['kube-apiserver', 'bind-address', '127.0.0.1'],
    ['kube-apiserver', 'secure-port', '41003'],
    ['kube-apiserver', 'etcd-servers', 'http://127.0.0.1:41001'],
    ['kube-controller-manager', 'bind-address', '127.0.0.1'],
    ['kube-controller-manager', 'secure-port', '41004'],
    ['kube-scheduler', 'bind-address', '127.0.0.1'],
    ['kube-scheduler', 'secure-port', '41005'],
  ])('%s --%s is %s (loopback only, chosen port)', (id, name, value) => {
    expect(flag(id, name)).toBe(value);
  });

  it('never sets --advertise-address (a loopback advertise address breaks the kubernetes Service endpoints)', () => {
    for (const c of commands) expect(c.args.some((a) => a.startsWith('--advertise-address'))).toBe(false);
  });

  it('never binds a wildcard address or a well-known default port', () => {
    const all = commands.flatMap((c) => c.args).join(' ');
    expect(all).not.toMatch(/0\.0\.0\.0|\[::\]/);
    expect(all).not.toMatch(/:(2379|2380|6443|10257|10259)\b/);
  });

  it('opens no KWOK server (no --server-address or --node-port)', () => {
    expect(byId('kwok').args.some((a) => a.startsWith('--server-address') || a.startsWith('--node-port'))).toBe(false);
    expect(flag('kwok', 'config')).toBe(paths.kwokConfig);
  });

  it('lets KWOK manage only the simulated pool, never the real node', () => {
    expect(flag('kwok', 'manage-all-nodes')).toBe('false');
    expect(flag('kwok', 'manage-nodes-with-label-selector')).toBe('edgemu.io/node-pool=simulated');
  });

  it('makes the apiserver reach kubelets by InternalIP with a client certificate (kubectl logs/exec)', () => {
    expect(flag('kube-apiserver', 'kubelet-preferred-address-types')).toBe('InternalIP,Hostname');
    expect(flag('kube-apiserver', 'kubelet-client-certificate')).toBe(paths.adminCert);
    expect(flag('kube-apiserver', 'kubelet-client-key')).toBe(paths.adminKey);
  });

  it('authorizes with Node and RBAC, and signs client certificate requests with the cluster CA', () => {
    expect(flag('kube-apiserver', 'authorization-mode')).toBe('Node,RBAC');
    expect(flag('kube-controller-manager', 'cluster-signing-cert-file')).toBe(paths.caCert);
    expect(flag('kube-controller-manager', 'cluster-signing-key-file')).toBe(paths.caKey);
  });

  it('keeps every file inside the cluster directory', () => {
    const files = commands.flatMap((c) => c.args).filter((a) => /=\//.test(a) && !/^--(authorization-always-allow-paths|etcd-prefix)=/.test(a)).map((a) => a.split('=')[1]!);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(f.startsWith('/state/clusters/edgemu/'), f).toBe(true);
  });

  it('uses the admin key for service-account signing and the admin cert for serving', () => {
    expect(flag('kube-apiserver', 'service-account-signing-key-file')).toBe(paths.adminKey);
    expect(flag('kube-apiserver', 'tls-cert-file')).toBe(paths.adminCert);
    expect(flag('kube-controller-manager', 'service-account-private-key-file')).toBe(paths.adminKey);
    expect(flag('kube-controller-manager', 'leader-elect')).toBe('false');
    expect(flag('kube-scheduler', 'leader-elect')).toBe('false');
  });
});

describe('the cluster kubeconfig', () => {
  it('names one cluster, user and context, all pointing at the admin cert files', () => {
    const doc = parse(renderKubeconfig({ server: 'https://127.0.0.1:41003', caCert: '/p/ca.crt', clientCert: '/p/a.crt', clientKey: '/p/a.key', contextName: 'edgemu-x' }));
    expect(doc['current-context']).toBe('edgemu-x');
    expect(doc.clusters[0].cluster).toEqual({ server: 'https://127.0.0.1:41003', 'certificate-authority': '/p/ca.crt' });
    expect(doc.users[0].user).toEqual({ 'client-certificate': '/p/a.crt', 'client-key': '/p/a.key' });
    expect(doc.contexts[0].context).toEqual({ cluster: 'edgemu-x', user: 'edgemu-x-admin' });
  });
});

describe('port race detection in a component log', () => {
  it.each([
    ['{"level":"fatal","msg":"listen tcp 127.0.0.1:4001: bind: address already in use"}', true],
    ['E1128 failed to listen on 127.0.0.1:6443: listen tcp 127.0.0.1:6443: bind: Address already in use', true],
    ['Error: listen EADDRINUSE', true],
    ['connection refused', false],
    ['', false],
  ])('%j → %s', (log, expected) => {
    expect(isPortInUseLog(log)).toBe(expected);
  });
});
