import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterUpgrade, ensureBinaries, readClusterNodeInfo, readClusterState, upgradeLocalCluster, withKubernetes, type LocalClusterState } from '../../../runtime/cluster/index.js';
import { eventuallyValue, longestGap, SAMPLE_MODULES, startUpgradeScenario, type UpgradeScenario } from './upgrade-scenario.js';

// An Azure Stack Edge-like device on the real node (docs/azure-stack-edge.md, docs/cluster.md
// "Upgrading"): `edgemu up --layout azure-stack-edge` with the sample deployment on a cluster it
// starts at Kubernetes v1.36.3. First the edgehub Service's external IP as a device next to the
// appliance uses it (TLS on 8883 for the name edgehub, a device SDK through it); then `edgemu
// cluster upgrade` to v1.37.2 with the modules running: refusals first, a rollback, the upgrade.
// Takes the machine's one real node: real-node test files run one at a time.
const run = promisify(execFile);
const FROM = 'v1.36.3';
const TO = 'v1.37.2';
const DEVICE_PROGRAM = fileURLToPath(new URL('./programs/device-via-edgehub.mjs', import.meta.url));
const log = (m: string) => process.stderr.write(`[ase-upgrade] ${m}\n`);
let s: UpgradeScenario;
let realNode = '';
const scratch = mkdtempSync(path.join(tmpdir(), 'edgemu-ase-upgrade-'));

beforeAll(async () => {
  s = await startUpgradeScenario({ fromVersion: FROM, log });
  const info = readClusterNodeInfo(s.clusterDir);
  realNode = info?.nodes === 'real' ? info.realNode : '';
}, 1_200_000);

afterAll(async () => {
  await s?.close();
  rmSync(scratch, { recursive: true, force: true });
}, 180_000);

const core = (): CoreV1Api => {
  const kc = new KubeConfig();
  kc.loadFromFile(s.kubeconfig);
  return kc.makeApiClient(CoreV1Api);
};
const kubectl = async (...args: string[]) => (await run('kubectl', ['--kubeconfig', s.kubeconfig, ...args], { timeout: 60_000 })).stdout;
const serverVersion = async () => (JSON.parse(await kubectl('version', '-o', 'json')) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;
const kubeletVersion = async () => (await core().readNode({ name: realNode })).status?.nodeInfo?.kubeletVersion;
const state = async (): Promise<LocalClusterState> => (await readClusterState(s.clusterDir))!;
const hubCaFile = async (): Promise<string> => {
  const r = await s.cli(['connection-string', '--device', s.deviceId, '--json']).done;
  return (JSON.parse(r.out) as { caFile: string }).caFile;
};
const edgehubIp = () =>
  eventuallyValue(async () => (await core().readNamespacedService({ name: 'edgehub', namespace: 'iotedge' })).status?.loadBalancer?.ingress?.[0]?.ip, 60_000, 'an external IP for edgehub');

/** A TLS handshake on ip:8883 sending `servername`, verified against the hub CA (as the SDKs verify). */
const handshake = (ip: string, servername: string, ca: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = tls.connect({ host: ip, port: 8883, servername, ca, timeout: 5_000 }, () => {
      const san = socket.getPeerCertificate().subjectaltname ?? '';
      socket.destroy();
      resolve(san);
    });
    socket.once('timeout', () => socket.destroy(new Error(`no TLS answer from ${ip}:8883 in 5 s`)));
    socket.once('error', reject);
  });

describe('an Azure Stack Edge-like device on the real node at v1.36.3', () => {
  it('runs the sample modules in namespace iotedge on the real node, with the old server and kubelet', async () => {
    expect(realNode, 'this test needs the real node (root on Linux, no other real node on the machine)').not.toBe('');
    expect(await serverVersion()).toBe(FROM);
    expect(await kubeletVersion()).toBe(FROM);
    const pods = (await core().listNamespacedPod({ namespace: 'iotedge' })).items.filter((p) => p.status?.phase === 'Running');
    expect(pods.map((p) => p.metadata?.labels?.['net.azure-devices.edge.module']).sort()).toEqual(['filter', 'simulatedtemperaturesensor']);
    for (const p of pods) expect(p.spec?.nodeName).toBe(realNode);
    expect((await s.cli(['cluster', 'status']).done).out).toContain(`version:    Kubernetes ${FROM}`);
  }, 120_000);

  it("reaches the hub from the host through edgehub's external IP on 8883 with a certificate valid for edgehub (hub CA), and for no other name", async () => {
    const ip = await edgehubIp();
    const ca = readFileSync(await hubCaFile(), 'utf8');
    // kube-proxy programs the IP shortly after the controller assigns it: new connections until one answers
    const san = await eventuallyValue(() => handshake(ip, 'edgehub', ca), 60_000, `a TLS handshake on ${ip}:8883 for edgehub`);
    expect(san).toContain('DNS:edgehub');
    await expect(handshake(ip, 'edgehub.iotedge.svc.cluster.local', ca)).resolves.toContain('DNS:edgehub.iotedge.svc.cluster.local');
    await expect(handshake(ip, 'not-edgehub', ca)).rejects.toThrow(/Hostname\/IP does not match certificate's altnames/);
  }, 180_000);

  it('lets a device SDK client (azure-iot-device-mqtt) with GatewayHostName=edgehub send telemetry through that IP', async () => {
    const ip = await edgehubIp();
    expect((await s.cli(['identity', 'create', 'leaf-1']).done).code).toBe(0);
    const cs = JSON.parse((await s.cli(['connection-string', '--device', 'leaf-1', '--json']).done).out) as { connectionString: string; caFile: string };
    // `edgehub` resolves to the external IP only for the SDK's process: its own mount namespace
    // with an /etc/hosts of one line, as a network's DNS would answer a device next to the appliance
    const hosts = path.join(scratch, 'hosts');
    writeFileSync(hosts, `127.0.0.1 localhost\n${ip} edgehub\n`);
    const { stdout } = await run(
      'unshare',
      ['--mount', '--', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, process.execPath, DEVICE_PROGRAM, `${cs.connectionString};GatewayHostName=edgehub`, cs.caFile],
      { timeout: 90_000 },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ sent: true });
  }, 180_000);
});

describe('edgemu cluster upgrade', () => {
  it('refuses a skipped minor, an unknown version and a bad tag with their codes, before building or stopping anything', async () => {
    const before = await state();
    for (const [version, code] of [
      ['v1.38.0', 'UPGRADE_SKIPS_MINOR'],
      ['v1.37.9', 'VERSION_UNKNOWN'],
      ['latest', 'VERSION_INVALID'],
    ] as const) {
      await expect(clusterUpgrade({ name: 'edgemu', stateDir: s.stateDir, version })).rejects.toMatchObject({ code });
    }
    const cli = await s.cli(['cluster', 'upgrade', '--kubernetes-version', 'v1.38.0']).done;
    expect(cli.code).toBe(1);
    expect(cli.err).toMatch(/the cluster runs v1\.36\.3; v1\.38\.0 skips minor versions/);
    expect(await state()).toEqual(before);
    expect(await serverVersion()).toBe(FROM);
  }, 120_000);

  it('rolls back to the old binaries when the new kube-apiserver does not come up, and says so', async () => {
    const before = await state();
    const target = (await ensureBinaries({ versions: withKubernetes(before.versions, TO), node: true, components: [], build: false })).binaries;
    const broken = path.join(scratch, 'kube-apiserver');
    writeFileSync(broken, '#!/bin/sh\necho "Error: unknown flag: --etcd-servers" >&2\nexit 1\n');
    chmodSync(broken, 0o755);
    const error = await upgradeLocalCluster({ dir: s.clusterDir, version: TO, targetBinaries: { ...target, kubeApiserver: broken }, onProgress: log }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UPGRADE_FAILED', details: { component: 'kube-apiserver', rolledBack: true } });
    expect((error as Error).message).toMatch(/failed at kube-apiserver: kube-apiserver exited [\s\S]*rolled back: the cluster runs v1\.36\.3 again/);
    const after = await state();
    expect(after.versions.kubernetes).toBe(FROM);
    expect(after.upgrading).toBeUndefined();
    expect(after.processes.find((p) => p.id === 'kube-apiserver')?.binary).toBe(before.processes.find((p) => p.id === 'kube-apiserver')?.binary);
    expect(after.processes.find((p) => p.id === 'etcd')).toEqual(before.processes.find((p) => p.id === 'etcd'));
    expect(await serverVersion()).toBe(FROM);
    expect((await s.cli(['cluster', 'status']).done).code).toBe(0);
  }, 300_000);

  it('upgrades v1.36.3 → v1.37.2 in place: new server and kubelet on the same etcd, no module reported failed, telemetry resumes, edgehub still answers', async () => {
    const before = await state();
    const podsBefore = (await core().listNamespacedPod({ namespace: 'iotedge' })).items.map((p) => `${p.metadata?.name}:${p.status?.containerStatuses?.[0]?.restartCount ?? '-'}`);
    s.startSampling(500);
    const t0 = Date.now();
    // a live shutdown signal: the upgrade may wait for a binary build (cli() defaults to an aborted one)
    const upgrade = await s.cli(['cluster', 'upgrade', '--kubernetes-version', TO], new AbortController().signal).done;
    const t1 = Date.now();
    expect(upgrade.code, upgrade.err).toBe(0);
    expect(upgrade.out).toContain(`upgraded from ${FROM} to ${TO}`);
    log(upgrade.out.trim());

    expect(await serverVersion()).toBe(TO);
    expect(await eventuallyValue(async () => (await kubeletVersion()) === TO, 60_000, 'the node reporting the new kubelet')).toBe(true);
    const after = await state();
    expect(after.versions.kubernetes).toBe(TO);
    expect(after.upgrades).toEqual([expect.objectContaining({ from: FROM, to: TO })]);
    // the same etcd process (and so the same data): only the Kubernetes components restarted
    expect(after.processes.find((p) => p.id === 'etcd')).toEqual(before.processes.find((p) => p.id === 'etcd'));
    for (const id of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy']) {
      expect(after.processes.find((p) => p.id === id)?.binary, id).toContain(`-${TO}/`);
    }
    const status = JSON.parse((await s.cli(['cluster', 'status', '--json']).done).out) as { running: boolean; summary: { kubernetesVersion: string } };
    expect(status).toMatchObject({ running: true, summary: { kubernetesVersion: TO } });

    // telemetry resumes: a filter message that arrived after the upgrade finished
    await eventuallyValue(async () => s.telemetry.some((t) => t > t1), 120_000, 'a filter message after the upgrade');
    await eventuallyValue(
      async () => {
        const r = await s.status();
        return SAMPLE_MODULES.every((m) => r?.modules?.[m]?.runtimeStatus === 'running');
      },
      60_000,
      'both modules reported running after the upgrade',
    );
    await s.stopSampling();
    const seen = new Set(s.samples.filter(([at]) => at >= t0).map(([, m, st]) => `${m}=${st}`));
    expect([...seen].filter((x) => x.endsWith('=failed'))).toEqual([]);
    const podsAfter = (await core().listNamespacedPod({ namespace: 'iotedge' })).items.map((p) => `${p.metadata?.name}:${p.status?.containerStatuses?.[0]?.restartCount ?? '-'}`);
    log(`upgrade ${((t1 - t0) / 1000).toFixed(1)} s; longest telemetry gap ${(longestGap(s.telemetry, t0, t1) / 1000).toFixed(1)} s; states seen ${[...seen].join(', ')}; pods ${podsBefore.join(' ')} → ${podsAfter.join(' ')}`);

    // kube-proxy restarted too: the external IP still leads to the hub
    const ip = await edgehubIp();
    const ca = readFileSync(await hubCaFile(), 'utf8');
    expect(await eventuallyValue(() => handshake(ip, 'edgehub', ca), 60_000, 'edgehub after the upgrade')).toContain('DNS:edgehub');
  }, 1_800_000);

  it('then refuses a downgrade and a second run is a no-op', async () => {
    const before = await state();
    await expect(clusterUpgrade({ name: 'edgemu', stateDir: s.stateDir, version: FROM })).rejects.toMatchObject({ code: 'UPGRADE_DOWNGRADE' });
    const again = await s.cli(['cluster', 'upgrade', '--kubernetes-version', TO]).done;
    expect(again.code).toBe(0);
    expect(again.out).toContain(`already runs Kubernetes ${TO}; nothing to do`);
    expect(await state()).toEqual(before);
  }, 120_000);
});
