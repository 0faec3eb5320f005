/**
 * A seeded generator of deployment manifests for randomized tests: valid structure with random
 * module names, env, registry credentials and createOptions drawn from good, odd and malformed
 * values (wrong types, port ranges, relative paths, unknown fields, k8s-experimental sections).
 * Not every result passes the validator; callers validate first.
 */

/** mulberry32: a tiny seeded PRNG. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
export type R = ReturnType<typeof rng>;

const NAMES = ['sensor', 'Filter', 'my_mod', 'a-b', 'X1', 'SimulatedTemperatureSensor', 'z', 'mod_2', 'UPPER', 'x'.repeat(70), '9lives', 'a__b'];
const WEIRD = [null, true, false, 0, -1, 1.5, '', 'x', [], {}, [1, 'a'], { a: 1 }, 1e21, '$(HOME)'];

function createOptions(r: R): Record<string, unknown> {
  const co: Record<string, unknown> = {};
  const gens: (() => void)[] = [
    () => (co.Env = r.pick([['A=1', 'B=x=y'], ['NOEQ'], ['=v'], [1], 'A=1', ['PATH=$PATH:/x', 'RuntimeLogLevel=debug'], ['IOTEDGE_MODULEID=spoof'], ['1X=1'], ['A B=2'], ['TAB\tNAME=1']])),
    () => (co.Cmd = r.pick([['run', '$(X)'], 'run', [], [1], null])),
    () => (co.Entrypoint = r.pick([['/bin/sh', '-c'], '', ['x'], 5])),
    () => (co.WorkingDir = r.pick(['/app', '', 3])),
    () => (co.User = r.pick(['1000', '1000:1000', 'node', '', 'root:root', 7])),
    () => (co.Labels = r.pick([{ a: 'b' }, { 'a/b/c': 'x' }, { 'edgemu.io/x': 'y' }, { k: 'v v' }, { k: 1 }, 'x', { 'Example.COM/x': 'y' }])),
    () => (co.ExposedPorts = r.pick([{ '80/tcp': {} }, { '53/udp': {}, '53/tcp': {} }, { '0/tcp': {} }, { '70000': {} }, { 'abc': {} }, { '1-2/tcp': {} }, [], { '80/SCTP': {} }])),
    () => (co.Hostname = r.pick(['h', 'Bad_Host', '', 'x'.repeat(70)])),
    () => (co.Healthcheck = r.pick([{ Test: ['CMD', 'x'] }, { Test: ['NONE'] }, { Test: 'curl x', Interval: -5 }, { Test: [] }, { Test: ['CMD-SHELL', 'a', 'b'] }, { Test: ['CMD', 'x'], Retries: 'many' }, 3])),
    () => (co.Volumes = r.pick([{ '/cache': {} }, { rel: {} }, 'x'])),
    () => (co.StopTimeout = r.pick([5, -1, 'x', 0])),
    () => (co[r.pick(['Domainname', 'StopSignal', 'MacAddress', 'Image'])] = r.pick(WEIRD)),
    () => (co['k8s-experimental'] = r.pick([
      { nodeSelector: { a: 'b' } },
      { nodeSelector: { a: 1 } },
      { volumes: [{ volume: { name: 'cfg', emptyDir: {} }, volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }] },
      { volumes: [{ volume: { name: 'edgemu-hub-ca', emptyDir: {} }, volumeMounts: [] }] },
      { volumes: 'x' },
      { serviceOptions: { type: r.pick(['NodePort', 'nodeport', 'ClusterIP', 'LoadBalancer', 'bad', 1]), loadBalancerIP: r.pick(['1.2.3.4', 3]) } },
      { strategy: { type: 'RollingUpdate' } },
      { resources: { limits: { cpu: '1' } } },
      { securityContext: { runAsNonRoot: true } },
      { unknown: 1 },
      7,
    ])),
  ];
  const hc: Record<string, unknown> = {};
  const hcGens: (() => void)[] = [
    () => (hc.PortBindings = r.pick([{ '80/tcp': [{ HostPort: '30080' }] }, { '80/tcp': [{ HostPort: '8080' }, { HostPort: '30081' }] }, { '53/udp': [{}] }, { '80/tcp': null }, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '9000' }] }, { '80/tcp': 'x' }, { x: [] }, { '81/tcp': [{ HostPort: 30080 }] }])),
    () => (hc.Binds = r.pick([['data:/data'], ['/host:/h:ro'], ['/a:/b:z,rw'], ['bad'], [1], ['d:/x', 'd:/y', 'D:/z'], ['a:/etc/edgemu/hub-ca'], ['v_1:/v', 'v-1:/w'], 'x'])),
    () => (hc.Mounts = r.pick([[{ Type: 'volume', Source: 'shared', Target: '/s' }], [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 10, Mode: 1 } }], [{ Type: 'bind', Source: 'rel', Target: '/b' }], [{ Type: 'npipe' }], [{}], [null]])),
    () => (hc.Memory = r.pick([1048576, -1, 'x', 0])),
    () => (hc.MemoryReservation = r.pick([2097152, 1])),
    () => (hc.NanoCpus = r.pick([1e9, 1, -3, 'x'])),
    () => (hc.CpuShares = r.pick([512, 100000, 2])),
    () => (hc.CpuQuota = r.pick([50000, 0])),
    () => (hc.Privileged = r.pick([true, false, 'yes'])),
    () => (hc.CapAdd = r.pick([['NET_ADMIN'], 'SYS_TIME', [1]])),
    () => (hc.CapDrop = r.pick([['ALL'], null])),
    () => (hc.NetworkMode = r.pick(['host', 'bridge', 'none', 'container:x', 5])),
    () => (hc.IpcMode = r.pick(['host', 'private', 'weird'])),
    () => (hc.PidMode = r.pick(['host', 'container:x'])),
    () => (hc.ExtraHosts = r.pick([['a:1.2.3.4', 'b:1.2.3.4'], ['noip'], ['h:host-gateway'], 'x'])),
    () => (hc[r.pick(['LogConfig', 'RestartPolicy', 'Devices', 'ShmSize'])] = r.pick(WEIRD)),
  ];
  for (const g of gens) if (r.chance(0.25)) g();
  for (const g of hcGens) if (r.chance(0.2)) g();
  if (Object.keys(hc).length > 0 || r.chance(0.05)) co.HostConfig = r.chance(0.95) ? hc : r.pick(WEIRD);
  return co;
}

export function randomManifest(r: R): unknown {
  const modules: Record<string, unknown> = {};
  const count = r.int(5);
  for (let i = 0; i < count; i++) {
    const name = `${r.pick(NAMES)}${r.chance(0.5) ? i : ''}`;
    const env: Record<string, { value: unknown }> = {};
    for (let j = r.int(4); j > 0; j--) env[r.pick(['A', 'b_c', 'X-Y', 'RuntimeLogLevel', 'EdgeHubConnectionString', 'IOTEDGE_DEVICEID', 'PRICE', '1BAD', 'A:B', 'NON_ASCII_\u00e4'])] = { value: r.pick(['v', 3, true, '$(X)', '']) };
    const co = JSON.stringify(createOptions(r));
    const settings: Record<string, string> = { image: r.pick(['busybox', 'example/app:1.0', 'myacr.azurecr.io/team/app', 'localhost:5000/x@sha256:' + 'a'.repeat(64)]) };
    if (co.length <= 512) settings.createOptions = co;
    else {
      settings.createOptions = co.slice(0, 512);
      for (let k = 1; k * 512 < co.length; k++) settings[`createOptions${String(k).padStart(2, '0')}`] = co.slice(k * 512, (k + 1) * 512);
    }
    modules[name] = {
      version: r.pick(['1.0', '', '2']),
      type: 'docker',
      status: r.pick(['running', 'stopped']),
      restartPolicy: r.pick(['always', 'never', 'on-failure', 'on-unhealthy']),
      ...(r.chance(0.5) ? { imagePullPolicy: r.pick(['on-create', 'never']) } : {}),
      ...(r.chance(0.5) ? { startupOrder: r.int(5) } : {}),
      settings,
      env,
    };
  }
  const registryCredentials: Record<string, unknown> = {};
  if (r.chance(0.3)) registryCredentials.acr = { address: 'myacr.azurecr.io', username: 'u', password: 'p' };
  if (r.chance(0.2)) registryCredentials.My_Reg = { address: 'https://index.docker.io/v1/', username: 'u', password: 'p' };
  return {
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion: '1.1',
          runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25', registryCredentials } },
          systemModules: {
            edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5' } },
            edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5' } },
          },
          modules,
        },
      },
      $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: {}, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
    },
  };
}
