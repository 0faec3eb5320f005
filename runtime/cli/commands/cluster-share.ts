import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { access, accessCommand } from './cluster-access.js';

/**
 * `edgemu cluster share create|delete|list` (docs/cluster.md "Shares"): a host directory as a
 * static PersistentVolume, as Azure Stack Edge's shares are offered to pods.
 */
export function registerClusterShareCommands(cluster: Command, ctx: CliContext): void {
  const share = cluster.command('share').description('host directories as static PersistentVolumes (Azure Stack Edge shares)');
  accessCommand(share, 'create', 'offer a host directory as a PersistentVolume NAME (storageClassName ase-share)')
    .argument('<name>', 'share (PersistentVolume) name, a DNS label')
    .requiredOption('--path <dir>', 'existing directory on the node')
    .addOption(new Option('--node <name>', 'node the directory is on (default: the local cluster’s real node; none: a hostPath volume for any node)'))
    .addOption(new Option('--capacity <quantity>', 'capacity the volume reports').default('10Gi'))
    .action(async (name: string, _flags: unknown, command: Command) => {
      const { opts, target } = await access(command);
      const flags = opts as typeof opts & { path: string; node?: string; capacity: string };
      const { createShare, readClusterNodeInfo } = await import('../../cluster/index.js');
      const info = target.localClusterDir === undefined ? undefined : readClusterNodeInfo(target.localClusterDir);
      const node = flags.node === 'none' ? undefined : (flags.node ?? (info?.nodes === 'real' ? info.realNode : undefined));
      const created = await createShare({ kc: target.kc, name, path: resolve(flags.path), node, capacity: flags.capacity });
      if (opts.json === true) ctx.out(`${JSON.stringify(created)}\n`);
      else ctx.out(`share "${name}" created: PersistentVolume ${name} for ${created.path}${created.node === undefined ? ' (hostPath)' : ` on node ${created.node}`}; claim it with storageClassName: ase-share, volumeName: ${name}\n`);
    });
  accessCommand(share, 'list', 'list shares, their directories and claims').action(async (_flags: unknown, command: Command) => {
    const { opts, target } = await access(command);
    const { listShares } = await import('../../cluster/index.js');
    const shares = await listShares({ kc: target.kc });
    if (opts.json === true) {
      ctx.out(`${JSON.stringify(shares, null, 2)}\n`);
      return;
    }
    if (shares.length === 0) {
      ctx.out('no shares (create one: edgemu cluster share create NAME --path DIR)\n');
      return;
    }
    ctx.out(`${'NAME'.padEnd(20)} ${'STATUS'.padEnd(10)} ${'CLAIM'.padEnd(30)} ${'NODE'.padEnd(16)} PATH\n`);
    for (const s of shares) ctx.out(`${s.name.padEnd(20)} ${s.phase.padEnd(10)} ${(s.claim ?? '-').padEnd(30)} ${(s.node ?? '-').padEnd(16)} ${s.path}\n`);
  });
  accessCommand(share, 'delete', 'delete a share’s PersistentVolume (the directory stays)').argument('<name>', 'share name').action(async (name: string, _flags: unknown, command: Command) => {
    const { opts, target } = await access(command);
    const { deleteShare } = await import('../../cluster/index.js');
    const result = await deleteShare({ kc: target.kc, name });
    ctx.out(opts.json === true ? `${JSON.stringify(result)}\n` : `share "${name}" deleted (its directory is left as it is)\n`);
  });
}
