import type { Command } from 'commander';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

interface TargetFlags {
  containerdAddress?: string;
  containerdNamespace?: string;
  ctr?: string;
}

const addTargetFlags = (command: Command): Command =>
  command
    .option('--containerd-address <socket>', "containerd's socket (default: $EDGEMU_CONTAINERD_ADDRESS, else the local cluster's real node)")
    .option('--containerd-namespace <ns>', 'containerd namespace (default k8s.io, where the kubelet looks)')
    .option('--ctr <path>', 'the ctr client (default: ctr on PATH)');

/** The local cluster `edgemu up` and `edgemu cluster up` start by default. */
const LOCAL_CLUSTER = 'edgemu';

async function target(flags: TargetFlags, stateDir: string) {
  const { resolveContainerdTarget, containerdTargetOfNode } = await import('../../image/index.js');
  const { readClusterNodeInfo, clusterDir } = await import('../../cluster/index.js');
  return resolveContainerdTarget({
    address: flags.containerdAddress,
    namespace: flags.containerdNamespace,
    ctr: flags.ctr,
    env: process.env,
    fromCluster: () => containerdTargetOfNode(readClusterNodeInfo(clusterDir(stateDir, LOCAL_CLUSTER))),
  });
}

async function requireTarget(flags: TargetFlags, stateDir: string) {
  const t = await target(flags, stateDir);
  if (t !== undefined) return t;
  const { ImageError } = await import('../../image/index.js');
  throw new ImageError('IMAGE_CONTAINERD_UNREACHABLE', 'no containerd to talk to: start the local cluster with real pods (edgemu cluster up), or pass --containerd-address SOCKET (or set EDGEMU_CONTAINERD_ADDRESS)');
}

/**
 * `edgemu image build|import|list` (docs/images.md): module images without Docker or a registry.
 * `build` bundles a module folder into an OCI image (cached by content) and imports it into the
 * target containerd when one is known; `import` takes an OCI or `docker save` archive; `list`
 * shows the images the node has.
 */
export const registerImage: RegisterCommand = (program, ctx) => {
  const image = program.command('image').description('build, import and list module images on the real node (no Docker needed)');

  addTargetFlags(
    image
      .command('build')
      .description('turn a module folder (TypeScript/JavaScript on the Azure IoT SDK) into an OCI image and import it')
      .argument('<dir>', 'module folder with index.ts, index.mts, index.js or index.mjs')
      .option('--tag <ref>', 'image reference (default edgemu/<folder>:latest)')
      .option('-o, --output <file>', 'also write the image as an OCI archive to FILE')
      .option('--no-import', 'only build (and --output); do not import into containerd')
      .option('--json', 'print the result as JSON'),
  ).action(async (dir: string, opts: TargetFlags & { tag?: string; output?: string; import: boolean; json?: boolean }, command: Command) => {
    const g = globalOptions(command);
    const { buildImage, exportImage, ImageStore, importBuiltImage, shortImageName } = await import('../../image/index.js');
    const started = Date.now();
    const built = await buildImage({ dir, tag: opts.tag, store: new ImageStore(), onProgress: (m) => ctx.err(`[image] ${m}\n`) });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (opts.output !== undefined) await exportImage(built, opts.output);
    const t = opts.import ? await target(opts, g.stateDir) : undefined;
    const outcome = t === undefined ? undefined : await importBuiltImage(t, built);
    if (opts.json || g.json) {
      ctx.out(`${JSON.stringify({ ...built, seconds: Number(seconds), output: opts.output ?? null, import: outcome ?? null }, null, 2)}\n`);
      return;
    }
    ctx.out(`built ${shortImageName(built.name)} (${built.manifestDigest.slice(0, 19)}, ${(built.compressedBytes / 1e6).toFixed(1)} MB compressed) in ${seconds} s${built.cached ? ' — unchanged, from the cache' : ''}\n`);
    if (opts.output !== undefined) ctx.out(`wrote ${opts.output}\n`);
    if (outcome === undefined) {
      if (opts.import) ctx.out(`not imported: no containerd is known (start the local cluster with real pods, or pass --containerd-address); archive: ${built.archive}\n`);
    } else if (outcome.action === 'kept-foreign') {
      ctx.out(`not imported: ${shortImageName(outcome.name)} already exists in containerd (${outcome.digest.slice(0, 19)}) and was not built by edgemu; it is kept\n`);
    } else {
      ctx.out(`${outcome.action === 'imported' ? 'imported into' : 'already in'} containerd (${t!.address}, namespace ${t!.namespace})\n`);
    }
  });

  addTargetFlags(
    image
      .command('import')
      .description('import an OCI image archive or a `docker save` archive into the node')
      .argument('<file>', 'image archive (.tar, optionally gzip-compressed)')
      .option('--json', 'print what was imported as JSON'),
  ).action(async (file: string, opts: TargetFlags & { json?: boolean }, command: Command) => {
    const g = globalOptions(command);
    const { importArchive } = await import('../../image/index.js');
    const t = await requireTarget(opts, g.stateDir);
    const info = await importArchive(t, file);
    if (opts.json || g.json) ctx.out(`${JSON.stringify(info, null, 2)}\n`);
    else ctx.out(`imported ${file} (${info.format === 'oci' ? 'OCI archive' : 'docker save archive'}): ${info.names.length > 0 ? info.names.join(', ') : 'no names, by digest only'}\n`);
  });

  addTargetFlags(
    image
      .command('list')
      .description('list the images the node has')
      .option('--json', 'print the images as JSON'),
  ).action(async (opts: TargetFlags & { json?: boolean }, command: Command) => {
    const g = globalOptions(command);
    const { CtrClient, isEdgemuImage, CONTAINERD_LABEL_STAND_IN } = await import('../../image/index.js');
    const t = await requireTarget(opts, g.stateDir);
    const images = await new CtrClient(t).list();
    const rows = images.map((i) => ({
      name: i.name,
      digest: i.digest,
      size: i.size,
      platforms: i.platforms,
      builtByEdgemu: isEdgemuImage(i),
      standInFor: isEdgemuImage(i) ? (i.labels[CONTAINERD_LABEL_STAND_IN] ?? null) : null,
    }));
    if (opts.json || g.json) {
      ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    const table = [['IMAGE', 'DIGEST', 'SIZE', 'SOURCE'], ...rows.map((r) => [r.name, r.digest.slice(0, 19), r.size, r.standInFor ? `edgemu stand-in for ${r.standInFor}` : r.builtByEdgemu ? 'edgemu image build' : 'imported'])];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    ctx.out(`${table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n')}\n`);
  });
};
