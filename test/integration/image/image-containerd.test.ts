import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, ContainerdImageCache, CtrClient, ctrImageEvents, ImageStore, importArchive, importBuiltImage, isEdgemuImage } from '../../../runtime/image/index.js';
import { startTestContainerd, type TestContainerd } from '../../helpers/containerd.js';
import { eventually } from '../../helpers/k8s.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const edgemu = path.join(repo, 'bin/edgemu.js');

describe('module images in a real containerd', () => {
  let containerd: TestContainerd;
  let work: string;
  // The shared, content-addressed cache (~/.cache/edgemu/images): a warm base keeps the test quick.
  const store = new ImageStore();

  beforeAll(async () => {
    containerd = await startTestContainerd();
    work = mkdtempSync(path.join(tmpdir(), 'edgemu-image-test-'));
  }, 60_000);
  afterAll(async () => {
    await containerd?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('builds the filter module, imports it, and runs node and the module itself with ctr run', async () => {
    const image = await buildImage({ dir: path.join(repo, 'modules/filter'), tag: 'edgemu/filter:0.1.0', store });
    expect(image.name).toBe('docker.io/edgemu/filter:0.1.0');
    expect(await importBuiltImage(containerd.target, image)).toEqual({ action: 'imported', name: image.name });
    expect(await importBuiltImage(containerd.target, image)).toEqual({ action: 'unchanged', name: image.name });
    const listed = await new CtrClient(containerd.target).get(image.name);
    expect(listed?.digest).toBe(image.manifestDigest);
    expect(listed && isEdgemuImage(listed)).toBe(true);

    const ctr = ['--address', containerd.target.address, '--namespace', 'k8s.io', 'run', '--rm'];
    const version = await execa('ctr', [...ctr, image.name, 'node-version', '/usr/bin/node', '--version']);
    expect(version.stdout.trim()).toBe(process.version);
    // The module's own start, without an IoT Edge environment: it says so and exits 1 (modules/shared/run-module.ts).
    const started = await execa('ctr', [...ctr, image.name, 'module-start'], { reject: false });
    expect(started.exitCode).toBe(1);
    expect(`${started.stdout}${started.stderr}`).toContain('cannot create a module client from the environment');
  });

  it('keeps the image list until containerd reports a change: no ctr call while nothing changes, a change by another client is seen', async () => {
    const cache = new ContainerdImageCache(new CtrClient(containerd.target), { events: ctrImageEvents(containerd.target), settleMs: 300 });
    try {
      await new Promise((r) => setTimeout(r, 400));
      expect(await cache.realNodeImages()).toContain('docker.io/edgemu/filter:0.1.0');
      const calls = cache.listCalls;
      for (let i = 0; i < 5; i += 1) await cache.realNodeImages();
      expect(await cache.get('docker.io/edgemu/filter:0.1.0')).toBeDefined();
      expect(cache.listCalls).toBe(calls);
      // Another process (here another ctr client) labels the image: containerd's /images/update event drops the list.
      await new CtrClient(containerd.target).label('docker.io/edgemu/filter:0.1.0', { 'io.test.seen': 'yes' });
      const relabelled = await eventually(async () => {
        const image = await cache.get('docker.io/edgemu/filter:0.1.0');
        return image?.labels['io.test.seen'] === 'yes' ? image : undefined;
      }, { timeoutMs: 10_000, what: 'the label change seen through the cache' });
      expect(relabelled).toBeDefined();
      expect(cache.listCalls).toBeGreaterThan(calls);
      // An import through the cache drops it at once; an unchanged image then costs no ctr call.
      const image = await buildImage({ dir: path.join(repo, 'modules/filter'), tag: 'edgemu/filter:0.1.0', store });
      await new CtrClient(containerd.target).label(image.name, { 'io.test.seen': '' });
      await eventually(async () => ((await cache.get(image.name))?.labels['io.test.seen'] === undefined ? true : undefined), { timeoutMs: 10_000, what: 'label removed' });
      const before = cache.listCalls;
      expect(await importBuiltImage(containerd.target, image, { images: cache })).toEqual({ action: 'unchanged', name: image.name });
      expect(await importBuiltImage(containerd.target, image, { images: cache })).toEqual({ action: 'unchanged', name: image.name });
      expect(cache.listCalls - before).toBeLessThanOrEqual(1);
    } finally {
      cache.close();
    }
  });

  it('edgemu image build --output writes an archive that edgemu image import takes, and image list shows it', async () => {
    const archive = path.join(work, 'echo.tar');
    const env = { ...process.env, EDGEMU_CONTAINERD_ADDRESS: containerd.target.address };
    const built = await execa('node', [edgemu, 'image', 'build', path.join(repo, 'modules/echo'), '--tag', 'example.com/me/echo:1', '--output', archive, '--no-import'], { env, reject: false });
    expect(built.stderr).toBe('');
    expect(built.exitCode).toBe(0);
    expect(built.stdout).toMatch(/^built example\.com\/me\/echo:1 \(sha256:/);

    const imported = await execa('node', [edgemu, 'image', 'import', archive], { env, reject: false });
    expect(imported.exitCode).toBe(0);
    expect(imported.stdout).toContain('OCI archive');
    const list = await execa('node', [edgemu, 'image', 'list', '--json'], { env });
    const rows = JSON.parse(list.stdout) as { name: string; builtByEdgemu: boolean }[];
    // Imported by hand: the user's image, not marked as edgemu's.
    expect(rows.find((r) => r.name === 'example.com/me/echo:1')).toMatchObject({ builtByEdgemu: false });
  });

  it('a real image already under a name wins over the image edgemu would import', async () => {
    const image = await buildImage({ dir: path.join(repo, 'modules/echo'), tag: 'example.com/me/echo:1', store });
    // example.com/me/echo:1 was imported by hand in the previous test (same bytes, but not edgemu's).
    expect(await importBuiltImage(containerd.target, image)).toMatchObject({ action: 'kept-foreign' });
  });

  it('imports a docker save archive (manifest.json + config + layers) under its RepoTags', async () => {
    const image = await buildImage({ dir: path.join(repo, 'modules/echo'), tag: 'edgemu/echo:0.1.0', store });
    const record = store.readRecord<{ blobs: string[] }>('image', image.key)!;
    const [, config, ...layers] = record.blobs;
    const file = path.join(work, 'docker-save.tar');
    const pack = tarStream.pack();
    const out = createWriteStream(file);
    const done = new Promise<void>((resolve, reject) => out.on('finish', () => resolve()).on('error', reject));
    pack.pipe(out);
    const hex = (d: string) => d.replace('sha256:', '');
    const add = (name: string, data: Buffer) => new Promise<void>((resolve, reject) => pack.entry({ name }, data, (e) => (e ? reject(e) : resolve())));
    await add('manifest.json', Buffer.from(JSON.stringify([{ Config: `${hex(config!)}.json`, RepoTags: ['example.com/saved/echo:2'], Layers: layers.map((l) => `${hex(l)}/layer.tar`) }])));
    await add(`${hex(config!)}.json`, readFileSync(store.blobPath(config!)));
    // docker save writes layers uncompressed.
    for (const l of layers) await add(`${hex(l)}/layer.tar`, gunzipSync(readFileSync(store.blobPath(l))));
    pack.finalize();
    await done;
    const info = await importArchive(containerd.target, file);
    expect(info).toEqual({ format: 'docker', names: ['example.com/saved/echo:2'], gzip: false });
    const listed = await new CtrClient(containerd.target).get('example.com/saved/echo:2');
    expect(listed).toBeDefined();
    expect(listed && isEdgemuImage(listed)).toBe(false);
    const version = await execa('ctr', ['--address', containerd.target.address, '--namespace', 'k8s.io', 'run', '--rm', 'example.com/saved/echo:2', 'saved-version', '/usr/bin/node', '--version']);
    expect(version.stdout.trim()).toBe(process.version);
  });

  it('refuses a corrupt archive before containerd sees it, and names a containerd that is not there', async () => {
    const bad = path.join(work, 'bad.tar');
    writeFileSync(bad, 'this is not a tar file at all, just text that is long enough to be read '.repeat(20));
    const env = { ...process.env, EDGEMU_CONTAINERD_ADDRESS: containerd.target.address };
    const corrupt = await execa('node', [edgemu, 'image', 'import', bad], { env, reject: false });
    expect(corrupt.exitCode).toBe(1);
    expect(corrupt.stderr).toMatch(/bad\.tar/);
    expect(corrupt.stderr).toMatch(/not a (readable image archive|tar archive)|empty or not a tar/);

    const gone = await execa('node', [edgemu, 'image', 'list', '--containerd-address', path.join(work, 'nobody.sock')], { reject: false });
    expect(gone.exitCode).toBe(1);
    expect(gone.stderr).toContain('no containerd answers at');
  });

  it('a module folder that does not build fails with esbuild naming the file', async () => {
    const dir = path.join(work, 'broken');
    await execa('mkdir', ['-p', dir]);
    writeFileSync(path.join(dir, 'index.ts'), "import { nothing } from './missing.js';\nconst x: number = ;\n");
    const result = await execa('node', [edgemu, 'image', 'build', dir, '--no-import'], { reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(path.join(dir, 'index.ts'));
  });
});
