import { describe, expect, it } from 'vitest';
import { isQualifiedKey, mapCreateOptions, type MappedCreateOptions } from '../../../runtime/translate/map-create-options.js';

const map = (co: Record<string, unknown>) => {
  const warnings: string[] = [];
  const mapped = mapCreateOptions(co, (w) => warnings.push(w));
  return { mapped, warnings };
};

type Row = [string, Record<string, unknown>, { [K in keyof MappedCreateOptions]?: MappedCreateOptions[K] | undefined }];

describe('mapCreateOptions: fields that map', () => {
  it.each<Row>([
    ['Entrypoint becomes the command', { Entrypoint: ['/bin/app', '-v'] }, { command: ['/bin/app', '-v'] }],
    ['Cmd becomes the args', { Cmd: ['run'] }, { args: ['run'] }],
    ['a string Cmd is a one-element list (Docker strslice)', { Cmd: 'run' }, { args: ['run'] }],
    ['WorkingDir becomes workingDir', { WorkingDir: '/app' }, { workingDir: '/app' }],
    ['Env is kept for the environment merge', { Env: ['A=1'] }, { env: ['A=1'] }],
    ['User uid:gid becomes runAsUser and runAsGroup', { User: '1000:2000' }, { securityContext: { runAsUser: 1000, runAsGroup: 2000 } }],
    ['User uid becomes runAsUser', { User: '0' }, { securityContext: { runAsUser: 0 } }],
    ['Privileged becomes a privileged container', { HostConfig: { Privileged: true } }, { securityContext: { privileged: true } }],
    [
      'CapAdd and CapDrop become capabilities without the CAP_ prefix',
      { HostConfig: { CapAdd: ['cap_net_admin', 'SYS_TIME'], CapDrop: ['ALL'] } },
      { securityContext: { capabilities: { add: ['NET_ADMIN', 'SYS_TIME'], drop: ['ALL'] } } },
    ],
    ['ReadonlyRootfs becomes readOnlyRootFilesystem', { HostConfig: { ReadonlyRootfs: true } }, { securityContext: { readOnlyRootFilesystem: true } }],
    ['NetworkMode host becomes hostNetwork', { HostConfig: { NetworkMode: 'host' } }, { hostNetwork: true }],
    ['NetworkMode azure-iot-edge is the pod network', { HostConfig: { NetworkMode: 'azure-iot-edge' } }, { hostNetwork: undefined }],
    ['IpcMode host becomes hostIPC', { HostConfig: { IpcMode: 'host' } }, { hostIPC: true }],
    ['PidMode host becomes hostPID', { HostConfig: { PidMode: 'host' } }, { hostPID: true }],
    ['Memory becomes the memory limit in bytes', { HostConfig: { Memory: 134217728 } }, { resources: { limits: { memory: '134217728' } } }],
    ['MemoryReservation becomes the memory request', { HostConfig: { MemoryReservation: 1000 } }, { resources: { requests: { memory: '1000' } } }],
    ['NanoCpus becomes the CPU limit in millicores', { HostConfig: { NanoCpus: 1500000000 } }, { resources: { limits: { cpu: '1500m' } } }],
    ['NanoCpus below a millicore rounds up', { HostConfig: { NanoCpus: 1 } }, { resources: { limits: { cpu: '1m' } } }],
    ['CpuQuota/CpuPeriod becomes the CPU limit', { HostConfig: { CpuQuota: 50000, CpuPeriod: 100000 } }, { resources: { limits: { cpu: '500m' } } }],
    ['CpuShares becomes the CPU request (1024 shares = 1 CPU)', { HostConfig: { CpuShares: 2048 } }, { resources: { requests: { cpu: '2000m' } } }],
    [
      'k8s-experimental resources win key by key',
      { HostConfig: { Memory: 1000, NanoCpus: 1000000000 }, 'k8s-experimental': { resources: { limits: { memory: '1Gi' } } } },
      { resources: { limits: { cpu: '1000m', memory: '1Gi' } } },
    ],
    ['Hostname becomes the pod hostname', { Hostname: 'sensor-a' }, { hostname: 'sensor-a' }],
    ['Tty and OpenStdin become tty and stdin', { Tty: true, OpenStdin: true }, { tty: true, stdin: true }],
    ['StopTimeout becomes the termination grace period', { StopTimeout: 5 }, { terminationGracePeriodSeconds: 5 }],
    [
      'ExtraHosts become hostAliases grouped by address',
      { HostConfig: { ExtraHosts: ['a:10.0.0.1', 'b:10.0.0.1', 'v6:fe80::1'] } },
      { hostAliases: [{ ip: '10.0.0.1', hostnames: ['a', 'b'] }, { ip: 'fe80::1', hostnames: ['v6'] }] },
    ],
    [
      'valid Labels become pod labels, others annotations',
      { Labels: { team: 'edge', 'example.com/desc': 'has spaces', 'x/y': '' } },
      { podLabels: { team: 'edge', 'x/y': '' }, podAnnotations: { 'example.com/desc': 'has spaces' } },
    ],
    ['k8s-experimental nodeSelector is passed through', { 'k8s-experimental': { nodeSelector: { disk: 'ssd' } } }, { nodeSelector: { disk: 'ssd' } }],
    ['k8s-experimental keys match case-insensitively', { 'K8s-Experimental': { NODESELECTOR: { disk: 'ssd' } } }, { nodeSelector: { disk: 'ssd' } }],
    ['k8s-experimental securityContext becomes the pod securityContext', { 'k8s-experimental': { securityContext: { fsGroup: 2000 } } }, { podSecurityContext: { fsGroup: 2000 } }],
    ['k8s-experimental strategy is passed through', { 'k8s-experimental': { strategy: { type: 'RollingUpdate' } } }, { strategy: { type: 'RollingUpdate' } }],
    [
      'a Docker Healthcheck becomes a liveness probe with Docker defaults',
      { Healthcheck: { Test: ['CMD', 'curl', '-f', 'http://localhost/'] } },
      { livenessProbe: { exec: { command: ['curl', '-f', 'http://localhost/'] }, periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 3 } },
    ],
    [
      'Healthcheck durations in nanoseconds become seconds',
      { Healthcheck: { Test: ['CMD-SHELL', 'test -f /ok'], Interval: 5e9, Timeout: 1.5e9, StartPeriod: 20e9, Retries: 2 } },
      { livenessProbe: { exec: { command: ['/bin/sh', '-c', 'test -f /ok'] }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2, initialDelaySeconds: 20 } },
    ],
    ['Healthcheck NONE makes no probe', { Healthcheck: { Test: ['NONE'] } }, { livenessProbe: undefined }],
  ])('%s', (_name, co, expected) => {
    const { mapped, warnings } = map(co);
    expect(warnings).toEqual([]);
    expect(mapped).toMatchObject(Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)));
    for (const [k, v] of Object.entries(expected)) if (v === undefined) expect(mapped[k as keyof MappedCreateOptions]).toBeUndefined();
  });
});

describe('mapCreateOptions: ports and the Service', () => {
  it('makes a Service port per exposed port, keeping UDP (a headless Service: no service type)', () => {
    const { mapped } = map({ ExposedPorts: { '80/tcp': {}, '53/udp': {}, '9000': {} } });
    expect(mapped.containerPorts).toEqual([
      { containerPort: 53, protocol: 'UDP' },
      { containerPort: 80, protocol: 'TCP' },
      { containerPort: 9000, protocol: 'TCP' },
    ]);
    expect(mapped.serviceType).toBeUndefined();
    expect(mapped.servicePorts.map((p) => p.name)).toEqual(['udp-53', 'tcp-80', 'tcp-9000']);
  });

  it.each([
    ['a bound host port becomes the container port\'s hostPort', { '8883/tcp': [{ HostPort: '8883' }] }, [{ containerPort: 8883, protocol: 'TCP', hostPort: 8883 }], []],
    ['a number works as well as a string', { '80/tcp': [{ HostPort: 8080 }] }, [{ containerPort: 80, protocol: 'TCP', hostPort: 8080 }], []],
    ['TCP and UDP may share a host port, as in Docker', { '53/tcp': [{ HostPort: '53' }], '53/udp': [{ HostPort: '53' }] }, [{ containerPort: 53, protocol: 'TCP', hostPort: 53 }, { containerPort: 53, protocol: 'UDP', hostPort: 53 }], []],
    ['a loopback binding keeps its address (hostIP)', { '9400/tcp': [{ HostIp: '127.0.0.1', HostPort: '9400' }] }, [{ containerPort: 9400, protocol: 'TCP', hostPort: 9400, hostIP: '127.0.0.1' }], []],
    ['0.0.0.0 means every address (no hostIP)', { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '80' }] }, [{ containerPort: 80, protocol: 'TCP', hostPort: 80 }], []],
    [
      'an empty HostPort (random in Docker) cannot be a hostPort',
      { '80/tcp': [{}] },
      [{ containerPort: 80, protocol: 'TCP' }],
      ['createOptions.HostConfig.PortBindings["80/tcp"][0] asks for a random host port, which Kubernetes cannot give (hostPort must be a number); the port is reachable in the cluster only'],
    ],
    [
      'several host ports for one port keep the first',
      { '80/tcp': [{ HostPort: '80' }, { HostPort: '8080' }] },
      [{ containerPort: 80, protocol: 'TCP', hostPort: 80 }],
      ['createOptions.HostConfig.PortBindings["80/tcp"] binds several host ports; only 80 is mapped (a container port has one hostPort)'],
    ],
  ])('%s', (_n, bindings, ports, warnings) => {
    const result = map({ HostConfig: { PortBindings: bindings } });
    expect(result.mapped.containerPorts).toEqual(ports);
    expect(result.mapped.serviceType).toBeUndefined();
    expect(result.warnings).toEqual(warnings);
  });

  it('makes a NodePort Service only when serviceOptions asks for one, with the host port as node port when in range', () => {
    const { mapped, warnings } = map({ HostConfig: { PortBindings: { '8883/tcp': [{ HostPort: '30883' }], '80/tcp': [{ HostPort: '8080' }] } }, 'k8s-experimental': { serviceOptions: { type: 'NodePort' } } });
    expect(mapped.serviceType).toBe('NodePort');
    expect(mapped.servicePorts.map((p) => [p.name, p.nodePort])).toEqual([
      ['tcp-80', undefined],
      ['tcp-8883', 30883],
    ]);
    expect(warnings).toEqual(['host port 8080 of 80/tcp is outside the node-port range 30000-32767; Kubernetes picks the node port']);
  });

  it('lets Kubernetes pick the node port when one host port/protocol is bound twice', () => {
    const { mapped, warnings } = map({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '30080' }], '81/tcp': [{ HostPort: '30080' }] } }, 'k8s-experimental': { serviceOptions: { type: 'NodePort' } } });
    expect(mapped.servicePorts.map((p) => p.nodePort)).toEqual([30080, undefined]);
    expect(warnings).toEqual(['host port 30080/tcp is bound twice; Kubernetes picks the node port for 81/tcp']);
  });

  it('uses the k8s-experimental serviceOptions type and loadBalancerIP', () => {
    const { mapped } = map({ ExposedPorts: { '80/tcp': {} }, 'k8s-experimental': { serviceOptions: { type: 'loadbalancer', loadBalancerIP: '1.2.3.4' } } });
    expect(mapped.serviceType).toBe('LoadBalancer');
    expect(mapped.loadBalancerIP).toBe('1.2.3.4');
  });

  it('makes no Service without ports', () => {
    expect(map({}).mapped.servicePorts).toEqual([]);
    expect(map({}).mapped.serviceType).toBeUndefined();
  });
});

describe('mapCreateOptions: volumes', () => {
  it('maps a named-volume bind to a PVC volume and a host path to hostPath', () => {
    const { mapped, warnings } = map({ HostConfig: { Binds: ['my_data:/data', '/srv/cfg:/cfg:ro'] } });
    expect(warnings).toEqual([]);
    expect(mapped.namedVolumes).toEqual(['my_data']);
    expect(mapped.volumes).toEqual([
      { name: expect.stringMatching(/^vol-my-data-[0-9a-f]{8}$/), persistentVolumeClaim: { claimName: expect.stringMatching(/^my-data-[0-9a-f]{8}$/) } },
      { name: expect.stringMatching(/^host-srv-cfg-[0-9a-f]{8}$/), hostPath: { path: '/srv/cfg', type: '' } },
    ]);
    expect(mapped.volumeMounts).toEqual([
      { name: mapped.volumes[0]!.name, mountPath: '/data' },
      { name: mapped.volumes[1]!.name, mountPath: '/cfg', readOnly: true },
    ]);
  });

  it('maps Mounts of type volume, bind and tmpfs', () => {
    const { mapped, warnings } = map({
      HostConfig: {
        Mounts: [
          { Type: 'volume', Source: 'shared', Target: '/s', ReadOnly: true },
          { Type: 'bind', Source: '/dev/ttyS0', Target: '/dev/ttyS0' },
          { Type: 'tmpfs', Target: '/run/tmp', TmpfsOptions: { SizeBytes: 4096 } },
          { Type: 'volume', Target: '/anon' },
        ],
      },
    });
    expect(warnings).toEqual([]);
    expect(mapped.namedVolumes).toEqual(['shared']);
    expect(mapped.volumes.map((v) => Object.keys(v)[1])).toEqual(['persistentVolumeClaim', 'hostPath', 'emptyDir', 'emptyDir']);
    expect(mapped.volumes[2]!.emptyDir).toEqual({ medium: 'Memory', sizeLimit: '4096' });
    expect(mapped.volumeMounts.map((m) => [m.mountPath, m.readOnly ?? false])).toEqual([
      ['/s', true],
      ['/dev/ttyS0', false],
      ['/run/tmp', false],
      ['/anon', false],
    ]);
  });

  it('maps anonymous Volumes to emptyDir', () => {
    const { mapped } = map({ Volumes: { '/cache': {} } });
    expect(mapped.volumes).toEqual([{ name: expect.stringMatching(/^tmp-/), emptyDir: {} }]);
    expect(mapped.volumeMounts).toEqual([{ name: mapped.volumes[0]!.name, mountPath: '/cache' }]);
  });

  it('shares one pod volume when the same source is mounted twice', () => {
    const { mapped } = map({ HostConfig: { Binds: ['d:/a', 'd:/b'] } });
    expect(mapped.volumes).toHaveLength(1);
    expect(mapped.volumeMounts.map((m) => m.name)).toEqual(['vol-d', 'vol-d']);
  });

  it('keeps volumes that differ only in case apart', () => {
    const { mapped } = map({ HostConfig: { Binds: ['d:/a', 'D:/b'] } });
    expect(mapped.namedVolumes).toEqual(['D', 'd']);
    expect(new Set(mapped.volumes.map((v) => v.persistentVolumeClaim!.claimName)).size).toBe(2);
    expect(mapped.volumes.map((v) => v.persistentVolumeClaim!.claimName)).toContain('d');
  });

  it('passes k8s-experimental volumes and mounts through', () => {
    const { mapped } = map({ 'k8s-experimental': { volumes: [{ volume: { name: 'cfg', configMap: { name: 'c' } }, volumeMounts: [{ name: 'cfg', mountPath: '/etc/c' }] }] } });
    expect(mapped.volumes).toEqual([{ name: 'cfg', configMap: { name: 'c' } }]);
    expect(mapped.volumeMounts).toEqual([{ name: 'cfg', mountPath: '/etc/c' }]);
  });
});

// edgeAgent reads createOptions into Docker.DotNet's typed CreateContainerParameters with Newtonsoft.Json
// (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Docker/DockerRuntimeModule.cs), which
// converts "true" to a boolean and "10" to an integer before Docker sees them.
describe('mapCreateOptions: Docker values written as strings are converted as edgeAgent does', () => {
  it.each<Row>([
    ['"Privileged": "true"', { HostConfig: { Privileged: 'true' } }, { securityContext: { privileged: true } }],
    ['"Privileged": "TRUE " (case and space, as bool.TryParse)', { HostConfig: { Privileged: 'TRUE ' } }, { securityContext: { privileged: true } }],
    ['"Privileged": "false"', { HostConfig: { Privileged: 'false' } }, { securityContext: undefined }],
    ['"ReadonlyRootfs": "true"', { HostConfig: { ReadonlyRootfs: 'true' } }, { securityContext: { readOnlyRootFilesystem: true } }],
    ['"Memory": "10"', { HostConfig: { Memory: '10' } }, { resources: { limits: { memory: '10' } } }],
    ['"MemoryReservation": "5" with "Memory": "10"', { HostConfig: { Memory: '10', MemoryReservation: '5' } }, { resources: { limits: { memory: '10' }, requests: { memory: '5' } } }],
    ['"NanoCpus": "500000000"', { HostConfig: { NanoCpus: '500000000' } }, { resources: { limits: { cpu: '500m' } } }],
    ['"CpuShares": "512"', { HostConfig: { CpuShares: '512' } }, { resources: { requests: { cpu: '500m' } } }],
    ['"Memory": "0" is unset, as 0 is', { HostConfig: { Memory: '0' } }, { resources: undefined }],
    ['"Tty": "true" and "OpenStdin": "true"', { Tty: 'true', OpenStdin: 'true' }, { tty: true, stdin: true }],
    ['"StopTimeout": "30"', { StopTimeout: '30' }, { terminationGracePeriodSeconds: 30 }],
  ])('%s', (_name, co, expected) => {
    const { mapped, warnings } = map(co);
    for (const [k, v] of Object.entries(expected)) expect(mapped[k as keyof MappedCreateOptions], k).toEqual(v);
    expect(warnings).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['"Privileged": "yes"', { HostConfig: { Privileged: 'yes' } }, /^createOptions\.HostConfig\.Privileged "yes" is not a boolean/],
    ['"Memory": "10m" (Docker\'s API takes bytes only)', { HostConfig: { Memory: '10m' } }, /^createOptions\.HostConfig\.Memory is not a positive integer/],
  ])('warns about an unconvertible %s', (_name, co, pattern) => {
    expect(map(co).warnings).toEqual([expect.stringMatching(pattern)]);
  });
});

// Docker mounts a bind source whatever it is (docs.docker.com/engine/storage/bind-mounts); Kubernetes'
// hostPath type "" performs no check (kubernetes.io/docs/concepts/storage/volumes/#hostpath), while
// DirectoryOrCreate would refuse a socket or a device. Windows sources follow Docker's windows parser
// (drive letter, ':', '\\' or '/'), and cannot mount on a Linux node.
describe('mapCreateOptions: binds', () => {
  it.each([['/var/run/docker.sock:/var/run/docker.sock'], ['/dev/video0:/dev/video0'], ['/dev/i2c-1:/dev/i2c-1:rw'], ['/etc/app.conf:/app.conf:ro'], ['/srv/data:/data']])(
    '%s becomes an unchecked hostPath (type "")',
    (bind) => {
      const { mapped, warnings } = map({ HostConfig: { Binds: [bind] } });
      expect(mapped.volumes).toEqual([{ name: expect.stringMatching(/^host-/), hostPath: { path: bind.split(':')[0], type: '' } }]);
      expect(mapped.volumeMounts[0]!.mountPath).toBe(bind.split(':')[1]);
      expect(warnings).toEqual([]);
    },
  );

  it.each([['C:/Dev/opc/x:/d'], ['C:\\ProgramData\\iotedge:C:\\data'], ['c:\\x:/y:ro']])('warns that the Windows bind %j cannot mount on a Linux node and drops it', (bind) => {
    const { mapped, warnings } = map({ HostConfig: { Binds: [bind] } });
    expect(mapped.volumes).toEqual([]);
    expect(mapped.volumeMounts).toEqual([]);
    expect(warnings).toEqual([`createOptions.HostConfig.Binds[0] ${JSON.stringify(bind)} binds a Windows path, which cannot mount on a Linux node; ignored`]);
  });

  it('drops a Mounts bind with a Windows Source with the same warning', () => {
    const { mapped, warnings } = map({ HostConfig: { Mounts: [{ Type: 'bind', Source: 'C:\\data', Target: '/data' }] } });
    expect(mapped.volumes).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/Mounts\[0\] binds the Windows path "C:\\\\data", which cannot mount on a Linux node/)]);
  });

  it.each([['d:/a'], ['d:/a:ro']])('still reads %j as Docker volume d (a Linux daemon has no drive letters)', (bind) => {
    expect(map({ HostConfig: { Binds: [bind] } }).mapped.namedVolumes).toEqual(['d']);
  });
});

// Docker Engine API HostConfig.Devices (DeviceMapping) → hostPath CharDevice (kubernetes.io/docs/concepts/storage/volumes/#hostpath)
// in a privileged container: the kubelet adds no device cgroup rule for a hostPath.
describe('mapCreateOptions: devices and host namespaces', () => {
  it('maps Devices to CharDevice hostPaths at PathInContainer in a privileged container, with a warning', () => {
    const { mapped, warnings } = map({
      HostConfig: { Devices: [{ PathOnHost: '/dev/video0', PathInContainer: '/dev/cam', CgroupPermissions: 'rwm' }, { PathOnHost: '/dev/i2c-1' }] },
    });
    expect(mapped.volumes).toEqual([
      { name: expect.stringMatching(/^dev-dev-video0-[0-9a-f]{8}$/), hostPath: { path: '/dev/video0', type: 'CharDevice' } },
      { name: expect.stringMatching(/^dev-dev-i2c-1-[0-9a-f]{8}$/), hostPath: { path: '/dev/i2c-1', type: 'CharDevice' } },
    ]);
    expect(mapped.volumeMounts.map((m) => m.mountPath)).toEqual(['/dev/cam', '/dev/i2c-1']);
    expect(mapped.securityContext).toEqual({ privileged: true });
    expect(warnings).toEqual(['createOptions.HostConfig.Devices: Kubernetes grants device access to privileged containers only; the container runs privileged']);
  });

  it('does not warn about privilege when the module is privileged already', () => {
    const { mapped, warnings } = map({ HostConfig: { Privileged: true, Devices: [{ PathOnHost: '/dev/ttyUSB0', PathInContainer: '/dev/ttyUSB0' }] } });
    expect(mapped.securityContext).toEqual({ privileged: true });
    expect(warnings).toEqual([]);
  });

  it.each<[string, unknown, RegExp]>([
    ['a relative PathOnHost', [{ PathOnHost: 'dev/x' }], /Devices\[0\] needs an absolute PathOnHost/],
    ['a non-list', { PathOnHost: '/dev/x' }, /Devices is not a list/],
    ['narrower CgroupPermissions', [{ PathOnHost: '/dev/x', CgroupPermissions: 'r' }], /CgroupPermissions "r" cannot be narrowed/],
  ])('warns about %s', (_name, devices, pattern) => {
    expect(map({ HostConfig: { Devices: devices } }).warnings).toContainEqual(expect.stringMatching(pattern));
  });

  it.each([['Host'], ['HOST'], ['host']])('NetworkMode %j becomes hostNetwork', (mode) => {
    const { mapped, warnings } = map({ HostConfig: { NetworkMode: mode } });
    expect(mapped.hostNetwork).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('discards host ports other than the container port with NetworkMode host, as Docker does and kube-apiserver requires', () => {
    const { mapped, warnings } = map({ HostConfig: { NetworkMode: 'Host', PortBindings: { '9000/tcp': [{ HostPort: '9001' }], '80/tcp': [{ HostPort: '80' }] } } });
    expect(mapped.containerPorts).toEqual([
      { containerPort: 80, protocol: 'TCP', hostPort: 80 },
      { containerPort: 9000, protocol: 'TCP' },
    ]);
    expect(warnings).toEqual([expect.stringMatching(/host port 9001 of 9000\/tcp is discarded with NetworkMode host/)]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['Runtime nvidia', { Runtime: 'nvidia' }, '1'],
    ['DeviceRequests Count 2', { DeviceRequests: [{ Driver: 'nvidia', Count: 2, Capabilities: [['gpu']] }] }, '2'],
    ['DeviceRequests Count -1 (all)', { DeviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }] }, '1'],
    ['DeviceRequests DeviceIDs', { Runtime: 'nvidia', DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: ['0', '1'] }] }, '2'],
  ])('%s becomes a nvidia.com/gpu limit', (_name, hc, count) => {
    expect(map({ HostConfig: hc }).mapped.resources).toEqual({ limits: { 'nvidia.com/gpu': count } });
  });

  it('PidMode "Host" becomes hostPID', () => {
    expect(map({ HostConfig: { PidMode: 'Host' } }).mapped.hostPID).toBe(true);
  });
});

describe('mapCreateOptions: every field it cannot map is named in a warning', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown top-level field', { StopSignal: 'SIGINT' }, /^createOptions\.StopSignal is not supported/],
    ['an unknown HostConfig field', { HostConfig: { OomScoreAdj: 500 } }, /^createOptions\.HostConfig\.OomScoreAdj is not supported/],
    // Kubernetes docs "Logging Architecture": logs belong to the container runtime and kubelet.
    ['LogConfig, precisely', { HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } } } }, /^createOptions\.HostConfig\.LogConfig \(Type "json-file"\) is not applied: on Kubernetes the container runtime writes/],
    // Kubernetes docs "Schedule GPUs": GPUs are limits of the device plugin's nvidia.com/gpu resource.
    ['Runtime nvidia', { HostConfig: { Runtime: 'nvidia' } }, /GPU access becomes a nvidia\.com\/gpu: 1 limit; the pod stays Pending unless a node runs the NVIDIA device plugin/],
    ['another Runtime', { HostConfig: { Runtime: 'kata' } }, /Runtime "kata" is not supported/],
    ['NetworkingConfig', { NetworkingConfig: { EndpointsConfig: { x: {} } } }, /^createOptions\.NetworkingConfig/],
    ['an unknown k8s-experimental key', { 'k8s-experimental': { podAffinity: {} } }, /k8s-experimental\.podAffinity is not a known/],
    ['a serviceOptions key IoT Edge did not know', { 'k8s-experimental': { serviceOptions: { externalIPs: [] } } }, /serviceOptions\.externalIPs/],
    ['a bad serviceOptions type', { 'k8s-experimental': { serviceOptions: { type: 'ExternalName' } } }, /serviceOptions\.type must be/],
    ['a user name in User', { User: 'node' }, /^createOptions\.User "node" is not numeric/],
    ['a NetworkMode other than host', { HostConfig: { NetworkMode: 'container:abc' } }, /NetworkMode "container:abc" is not supported/],
    ['a port range', { ExposedPorts: { '8000-8010/tcp': {} } }, /ExposedPorts\["8000-8010\/tcp"\]/],
    ['a non-numeric HostPort', { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 'http' }] } } }, /HostPort "http" is not a port number/],
    ['several host ports for one container port', { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '30001' }, { HostPort: '30002' }] } } }, /binds several host ports; only 30001/],
    ['a bind option other than ro/rw', { HostConfig: { Binds: ['/a:/b:z'] } }, /Binds\[0\] option "z"/],
    ['a malformed bind', { HostConfig: { Binds: ['/only-source'] } }, /Binds\[0\] "\/only-source" is not "source:target/],
    ['a relative bind target', { HostConfig: { Binds: ['/a:rel'] } }, /target "rel" is not an absolute path/],
    ['a mount over the hub CA', { HostConfig: { Binds: ['/x:/etc/edgemu/hub-ca'] } }, /edgemu mounts the hub CA there/],
    ['a mount type Kubernetes lacks', { HostConfig: { Mounts: [{ Type: 'npipe', Source: 'x', Target: '/x' }] } }, /Mounts\[0\]\.Type "npipe"/],
    ['mount options', { HostConfig: { Mounts: [{ Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { NoCopy: true } }] } }, /Mounts\[0\]\.VolumeOptions is not supported/],
    ['a mount without Target', { HostConfig: { Mounts: [{ Type: 'volume', Source: 'v' }] } }, /Mounts\[0\] has no Target/],
    ['CpuShares above the CPU limit', { HostConfig: { CpuShares: 4096, NanoCpus: 1e9 } }, /CpuShares asks for more CPU \(4000m\) than the limit \(1000m\)/],
    ['MemoryReservation above Memory', { HostConfig: { Memory: 10, MemoryReservation: 20 } }, /MemoryReservation is larger than Memory/],
    ['a negative Memory', { HostConfig: { Memory: -1 } }, /Memory is not a positive integer \(-1\)/],
    ['an unusable Healthcheck test', { Healthcheck: { Test: ['BOGUS'] } }, /Healthcheck\.Test must be/],
    ['a Healthcheck field without probe equivalent', { Healthcheck: { Test: ['CMD', 'x'], StartInterval: 1e9 } }, /Healthcheck\.StartInterval is not supported/],
    ['a reserved label key', { Labels: { 'app.kubernetes.io/managed-by': 'me' } }, /reserved for edgemu/],
    ['a label key Kubernetes refuses', { Labels: { 'bad key!': 'v' } }, /not a valid Kubernetes label or annotation key/],
    ['an invalid hostname', { Hostname: 'Not_Valid' }, /Hostname "Not_Valid" is not a valid pod hostname/],
    ['a host-gateway extra host', { HostConfig: { ExtraHosts: ['h:host-gateway'] } }, /host-gateway/],
    ['Env that is not a list', { Env: 'A=1' }, /createOptions\.Env is not a list/],
    ['HostConfig that is not an object', { HostConfig: 'x' }, /createOptions\.HostConfig is not an object/],
    ['a malformed k8s-experimental volume', { 'k8s-experimental': { volumes: [{ volume: {} }] } }, /volumes\[0\] needs/],
  ])('warns about %s', (_name, co, pattern) => {
    const { warnings } = map(co);
    expect(warnings.some((w) => pattern.test(w)), warnings.join('\n')).toBe(true);
  });

  it.each([[{ Tty: false }], [{ Image: '' }], [{ HostConfig: { LogConfig: null } }], [{ NetworkingConfig: {} }], [{ HostConfig: { Binds: [] } }]])(
    'treats the empty value in %j as unset, without a warning',
    (co) => {
      expect(map(co).warnings).toEqual([]);
    },
  );
});

describe('mapCreateOptions: local-cluster failure simulation', () => {
  it('passes the simulate label to the pod labels and the exit code to the pod annotations, without a warning', () => {
    const { mapped, warnings } = map({ Labels: { 'edgemu.io/simulate': 'crash-loop', 'edgemu.io/exit-code': '3' } });
    expect(mapped.podLabels).toEqual({ 'edgemu.io/simulate': 'crash-loop' });
    expect(mapped.podAnnotations).toEqual({ 'edgemu.io/exit-code': '3' });
    expect(warnings).toEqual([]);
  });

  it('still refuses the other keys edgemu reserves', () => {
    const { mapped, warnings } = map({ Labels: { 'edgemu.io/module': 'x' } });
    expect(mapped.podLabels).toEqual({});
    expect(warnings.join('\n')).toMatch(/reserved for edgemu/);
  });
});

describe('isQualifiedKey', () => {
  it.each([
    ['app', true],
    ['example.com/app', true],
    ['a/b/c', false],
    ['/app', false],
    ['UPPER.example/x', false],
    ['x'.repeat(63), true],
    ['x'.repeat(64), false],
    ['-a', false],
  ])('%s → %s', (key, ok) => {
    expect(isQualifiedKey(key)).toBe(ok);
  });
});
