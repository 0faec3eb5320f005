import { Option, type Command } from 'commander';
import { addKubeOptions } from '../../cluster/cli-options.js';
import { globalOptions, type CliContext } from '../cli-context.js';
import { UsageError } from '../../errors.js';

interface AccessFlags {
  kubeconfig?: string;
  context?: string;
  cluster: string;
  namespace?: string;
  json?: boolean;
}

const clusterOption = () => new Option('--cluster <name>', 'local cluster to use when no --kubeconfig is given').default('edgemu');
const jsonOption = () => new Option('--json', 'print machine-readable JSON on stdout');

/** Shared options of every namespace/user subcommand: which cluster, JSON output. */
export function accessCommand(parent: Command, name: string, description: string): Command {
  return addKubeOptions(parent.command(name).description(description)).addOption(clusterOption()).addOption(jsonOption());
}

export async function access(command: Command) {
  const opts = command.optsWithGlobals() as AccessFlags;
  const { resolveUserAccess } = await import('../../cluster/index.js');
  return { opts, target: await resolveUserAccess({ kubeconfig: opts.kubeconfig, context: opts.context, stateDir: globalOptions(command).stateDir, clusterName: opts.cluster }) };
}

/**
 * `edgemu cluster namespace create|delete` and `edgemu cluster user create|grant|list|delete`
 * (docs/cluster-users.md): Azure Stack Edge's namespace and user commands against the running
 * local cluster or any cluster (`--kubeconfig`/`--context`).
 */
export function registerClusterAccessCommands(cluster: Command, ctx: CliContext): void {
  const namespace = cluster.command('namespace').description('user namespaces (Azure Stack Edge New-HcsKubernetesNamespace)');
  accessCommand(namespace, 'create', 'create a user namespace').argument('<name>', 'namespace name (a DNS label, not a system namespace)').action(async (name: string, _flags: AccessFlags, command: Command) => {
    const { opts, target } = await access(command);
    const { createUserNamespace } = await import('../../cluster/index.js');
    const result = await createUserNamespace({ kc: target.kc, name });
    ctx.out(opts.json === true ? `${JSON.stringify(result)}\n` : `namespace "${name}" created\n`);
  });
  accessCommand(namespace, 'delete', 'delete a namespace made by `namespace create` (and everything in it)').argument('<name>', 'namespace name').action(async (name: string, _flags: AccessFlags, command: Command) => {
    const { opts, target } = await access(command);
    const { deleteUserNamespace } = await import('../../cluster/index.js');
    const result = await deleteUserNamespace({ kc: target.kc, name });
    ctx.out(opts.json === true ? `${JSON.stringify(result)}\n` : `namespace "${name}" deleted\n`);
  });

  const user = cluster.command('user').description('users with client certificates of the cluster CA, limited to granted namespaces by RBAC (Azure Stack Edge New-HcsKubernetesUser)');
  accessCommand(user, 'create', 'create a user (client certificate signed by the cluster CA) and print the path of its kubeconfig')
    .argument('<name>', 'user name (a DNS label)')
    .addOption(new Option('--days <n>', 'certificate lifetime in days').default('365'))
    .action(async (name: string, _flags: AccessFlags, command: Command) => {
      const daysText = (command.opts() as { days: string }).days;
      const days = Number(daysText);
      if (!Number.isInteger(days) || days < 1) throw new UsageError(`--days must be a positive whole number, got "${daysText}"`);
      const { opts, target } = await access(command);
      const { createClusterUser } = await import('../../cluster/index.js');
      const created = await createClusterUser({ ...target, name, days });
      if (opts.json === true) ctx.out(`${JSON.stringify(created)}\n`);
      else {
        ctx.out(`${created.kubeconfig}\n`);
        ctx.err(`user "${name}" created (certificate valid until ${created.notAfter}); it can do nothing yet: edgemu cluster user grant ${name} --namespace NS\n`);
      }
    });
  accessCommand(user, 'grant', 'give a user full access to one namespace (Role + RoleBinding)')
    .argument('<name>', 'user name')
    .requiredOption('--namespace <ns>', 'namespace to grant (must exist)')
    .action(async (name: string, _flags: AccessFlags, command: Command) => {
      const { opts, target } = await access(command);
      const { grantNamespaceAccess } = await import('../../cluster/index.js');
      const result = await grantNamespaceAccess({ kc: target.kc, name, namespace: opts.namespace ?? '' });
      ctx.out(opts.json === true ? `${JSON.stringify(result)}\n` : `user "${name}" ${result.alreadyGranted ? 'already had' : 'granted'} full access to namespace "${result.namespace}" (Role and RoleBinding ${result.role})\n`);
    });
  accessCommand(user, 'list', 'list users, their namespaces and kubeconfigs').action(async (_flags: AccessFlags, command: Command) => {
    const { opts, target } = await access(command);
    const { listClusterUsers } = await import('../../cluster/index.js');
    const users = await listClusterUsers(target);
    if (opts.json === true) {
      ctx.out(`${JSON.stringify(users, null, 2)}\n`);
      return;
    }
    if (users.length === 0) {
      ctx.out('no users (create one: edgemu cluster user create NAME)\n');
      return;
    }
    ctx.out(`${'NAME'.padEnd(20)} ${'NAMESPACES'.padEnd(30)} ${'EXPIRES'.padEnd(24)} KUBECONFIG\n`);
    for (const u of users) ctx.out(`${u.name.padEnd(20)} ${(u.namespaces.join(',') || '-').padEnd(30)} ${(u.notAfter ?? '-').padEnd(24)} ${u.kubeconfig ?? '-'}\n`);
  });
  accessCommand(user, 'delete', 'delete a user: its grants, record and kubeconfig').argument('<name>', 'user name').action(async (name: string, _flags: AccessFlags, command: Command) => {
    const { opts, target } = await access(command);
    const { deleteClusterUser } = await import('../../cluster/index.js');
    const result = await deleteClusterUser({ ...target, name });
    ctx.out(opts.json === true ? `${JSON.stringify(result)}\n` : `user "${name}" deleted${result.namespaces.length > 0 ? ` (access to ${result.namespaces.join(', ')} removed)` : ''}\n`);
  });
}
