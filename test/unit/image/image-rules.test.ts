import { describe, expect, it } from 'vitest';
import { fullImageName, shortImageName } from '../../../runtime/image/image-name.js';
import { parseLdd } from '../../../runtime/image/node-base.js';
import { parseImageList, isEdgemuImage } from '../../../runtime/image/ctr-client.js';
import { resolveContainerdTarget } from '../../../runtime/image/containerd-target.js';
import { ociImage } from '../../../runtime/image/oci-image.js';
import { defaultTag } from '../../../runtime/image/build-image.js';

describe('image names', () => {
  it.each([
    ['edgemu/filter:0.1.0', 'docker.io/edgemu/filter:0.1.0'],
    ['node', 'docker.io/library/node:latest'],
    ['mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5', 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5'],
    ['localhost:5000/x', 'localhost:5000/x:latest'],
    ['docker.io/edgemu/echo:0.1.0', 'docker.io/edgemu/echo:0.1.0'],
  ])('%s is known to containerd as %s', (ref, full) => {
    expect(fullImageName(ref)).toBe(full);
  });

  it('refuses a reference that is not one, naming an example', () => {
    expect(() => fullImageName('Bad Name')).toThrow(/not an image reference.*edgemu\/my-module/);
  });

  it('drops the Docker Hub prefixes for display', () => {
    expect(shortImageName('docker.io/edgemu/filter:0.1.0')).toBe('edgemu/filter:0.1.0');
    expect(shortImageName('docker.io/library/node:20')).toBe('node:20');
  });

  it('names a module folder edgemu/<folder>:latest', () => {
    expect(defaultTag('modules/simulated-temperature-sensor')).toBe('edgemu/simulated-temperature-sensor:latest');
    expect(defaultTag('/x/My_Module')).toBe('edgemu/my_module:latest');
  });
});

describe('parseLdd', () => {
  it('takes the libraries and the loader, skips the vDSO, reports what is missing', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007ffc)',
      '\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f7f)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f7f)',
      '\tlibfoo.so.1 => not found',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f7f)',
    ].join('\n');
    expect(parseLdd(out)).toEqual({
      libraries: ['/lib/x86_64-linux-gnu/libdl.so.2', '/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib64/ld-linux-x86-64.so.2'],
      missing: ['libfoo.so.1'],
    });
  });
});

describe('parseImageList', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  const out = [
    'REF                             TYPE                                       DIGEST  SIZE      PLATFORMS   LABELS',
    `docker.io/edgemu/filter:0.1.0   application/vnd.oci.image.index.v1+json    ${d} 38.1 MiB  linux/amd64 io.edgemu.image=${d}`,
    `registry.k8s.io/pause:3.9       application/vnd.docker.distribution.manifest.list.v2+json ${'sha256:' + 'b'.repeat(64)} 312.2 KiB linux/amd64,linux/arm64 io.cri-containerd.image=managed,x=1`,
    `plain:1 application/vnd.oci.image.index.v1+json ${'sha256:' + 'c'.repeat(64)} 10.0 B linux/amd64 -`,
  ].join('\n');

  it('reads names, digests, sizes with their unit, platforms and labels', () => {
    const images = parseImageList(out);
    expect(images.map((i) => [i.name, i.size, i.platforms])).toEqual([
      ['docker.io/edgemu/filter:0.1.0', '38.1 MiB', 'linux/amd64'],
      ['registry.k8s.io/pause:3.9', '312.2 KiB', 'linux/amd64,linux/arm64'],
      ['plain:1', '10.0 B', 'linux/amd64'],
    ]);
    expect(images[1]!.labels).toEqual({ 'io.cri-containerd.image': 'managed', x: '1' });
    expect(images[2]!.labels).toEqual({});
  });

  it('an image is edgemu’s only while its digest is the one edgemu labelled', () => {
    const [ours, theirs] = parseImageList(out);
    expect(isEdgemuImage(ours!)).toBe(true);
    expect(isEdgemuImage(theirs!)).toBe(false);
    expect(isEdgemuImage({ ...ours!, digest: `sha256:${'f'.repeat(64)}` })).toBe(false);
  });
});

describe('resolveContainerdTarget', () => {
  const cluster = () => ({ address: '/run/c.sock', namespace: 'k8s.io', ctr: '/usr/bin/ctr' });
  it.each([
    ['flags win', { address: '/a.sock', env: { EDGEMU_CONTAINERD_ADDRESS: '/b.sock' }, fromCluster: cluster }, { address: '/a.sock', namespace: 'k8s.io', ctr: 'ctr' }],
    ['then the environment', { env: { EDGEMU_CONTAINERD_ADDRESS: '/b.sock', EDGEMU_CONTAINERD_NAMESPACE: 'x' }, fromCluster: cluster }, { address: '/b.sock', namespace: 'x', ctr: 'ctr' }],
    ['then the local cluster', { env: {}, fromCluster: cluster }, cluster()],
    ['else nothing', { env: {} }, undefined],
  ])('%s', (_n, inputs, expected) => {
    expect(resolveContainerdTarget(inputs)).toEqual(expected);
  });
});

describe('ociImage', () => {
  const layers = [
    { digest: `sha256:${'1'.repeat(64)}`, diffId: `sha256:${'2'.repeat(64)}`, size: 10 },
    { digest: `sha256:${'3'.repeat(64)}`, diffId: `sha256:${'4'.repeat(64)}`, size: 5 },
  ];
  const spec = { name: 'docker.io/edgemu/x:1', layers, entrypoint: ['/usr/bin/node', '/app/index.mjs'], env: ['A=1'], workingDir: '/app', labels: { l: 'v' }, arch: 'x64' };

  it('is deterministic and names the image for containerd’s importer', () => {
    const a = ociImage(spec);
    expect(a.index.bytes.equals(ociImage(spec).index.bytes)).toBe(true);
    const index = JSON.parse(a.index.bytes.toString()) as { manifests: { annotations: Record<string, string>; platform: unknown; digest: string }[] };
    expect(index.manifests[0]!.annotations['io.containerd.image.name']).toBe('docker.io/edgemu/x:1');
    expect(index.manifests[0]!.platform).toEqual({ architecture: 'amd64', os: 'linux' });
    expect(index.manifests[0]!.digest).toBe(a.manifest.descriptor.digest);
    const config = JSON.parse(a.config.bytes.toString()) as { rootfs: { diff_ids: string[] }; config: { Entrypoint: string[]; Labels: Record<string, string> } };
    expect(config.rootfs.diff_ids).toEqual([layers[0]!.diffId, layers[1]!.diffId]);
    expect(config.config.Entrypoint).toEqual(['/usr/bin/node', '/app/index.mjs']);
    expect(config.config.Labels).toEqual({ l: 'v' });
  });
});
