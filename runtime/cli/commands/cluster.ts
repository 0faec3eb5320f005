import { InvalidArgumentError, Option, type Command } from 'commander';
import { CLUSTER_NAME_HINT, DEFAULT_SERVICE_IPS, isValidClusterName, type BinaryProgress } from '../../cluster/cli-options.js';
import { globalOptions, type CliContext, type RegisterCommand } from '../cli-context.js';
import { UsageError } from '../../errors.js';
import { registerClusterAccessCommands } from './cluster-access.js';
import { registerClusterShareCommands } from './cluster-share.js';

interface ClusterFlags {
  name: string;
  provider?: string;
  timeout?: string;
  foreground?: boolean;
  json?: boolean;
  nodes?: 'real' | 'simulated' | 'auto';
  serviceIps?: string;
  kubernetesVersion?: string;
}

const nameOption = () =>
  new Option('--name <name>', 'cluster name (its files live in <state-dir>/clusters/<name>/)').default('edgemu').argParser((value: string) => {
    // Checked while parsing, so a bad name is a usage error (exit 2) like any other bad flag value.
    if (!isValidClusterName(value)) throw new InvalidArgumentError(CLUSTER_NAME_HINT);
    return value;
  });
const jsonOption = () => new Option('--json', 'print machine-readable JSON on stdout');

/**
 * `edgemu cluster up|down|status|kubeconfig` (docs/cluster.md): a Kubernetes to run modules on. The
 * default provider is a local control plane with KWOK nodes (no container engine needed);
 * `--provider kind` drives the kind CLI. Heavy modules load inside the actions.
 */
export const registerClusterCommand: RegisterCommand = (program, ctx) => {
  const cluster = program.command('cluster').description('start, stop and inspect the Kubernetes cluster edgemu deploys to');

  cluster
    .command('up')
    .description('start a cluster (or reuse a running one) and wait until a node is Ready and the default ServiceAccount exists')
    .addOption(new Option('--provider <provider>', 'local: control plane built from Go modules, simulated nodes; kind: kind CLI + Docker').choices(['local', 'kind']).default('local'))
    .addOption(nameOption())
    .addOption(
      new Option('--nodes <pool>', 'local provider: real (a kubelet node, pods really run; needs root on Linux), simulated (KWOK only), auto: real where it can run')
        .choices(['real', 'simulated', 'auto'])
        .default('auto'),
    )
    .addOption(new Option('--service-ips <range>', 'local provider: FIRST-LAST IPv4 range for LoadBalancer Services (Azure Stack Edge "Kubernetes external service IPs"); none: no LoadBalancer IPs').default(DEFAULT_SERVICE_IPS))
    .addOption(new Option('--timeout <seconds>', 'readiness deadline for a local cluster').default('120'))
    .addOption(new Option('--foreground', 'keep running until Ctrl-C, then stop the cluster (local provider)'))
    .addOption(jsonOption())
    .action(async (_flags: ClusterFlags, command: Command) => up(ctx, command));

  cluster
    .command('down')
    .description('stop every process the cluster started and remove its files')
    .addOption(nameOption())
    .addOption(jsonOption())
    .action(async (_flags: ClusterFlags, command: Command) => {
      const opts = command.optsWithGlobals() as ClusterFlags & { stateDir: string };
      const { clusterDown } = await import('../../cluster/index.js');
      const result = await clusterDown({ name: opts.name, stateDir: opts.stateDir, logger: ctx.logger() });
      if (opts.json === true) ctx.out(`${JSON.stringify(result, null, 2)}\n`);
      else if (!result.found) ctx.out(`no cluster named "${opts.name}" was running\n`);
      else ctx.out(`cluster "${opts.name}" stopped (${result.stopped.join(', ') || 'nothing was still running'})\n`);
      if (result.portsStillBound.length > 0) {
        ctx.err(`warning: ports still bound after stopping: ${result.portsStillBound.join(', ')}\n`);
        ctx.setExitCode(1);
      }
    });

  cluster
    .command('status')
    .description('show whether the cluster runs, its kubeconfig, processes and memory (exit 1 when not running)')
    .addOption(nameOption())
    .addOption(jsonOption())
    .action(async (_flags: ClusterFlags, command: Command) => {
      const opts = command.optsWithGlobals() as ClusterFlags & { stateDir: string };
      const { clusterStatus } = await import('../../cluster/index.js');
      const status = await clusterStatus({ name: opts.name, stateDir: opts.stateDir });
      if (opts.json === true) {
        ctx.out(`${JSON.stringify(status, null, 2)}\n`);
      } else {
        ctx.out(`cluster "${status.name}": ${status.running ? 'running' : status.exists ? 'NOT healthy' : 'not running'}\n`);
        if (status.summary) {
          ctx.out(`  provider:   ${status.summary.provider}\n  kubeconfig: ${status.summary.kubeconfig}\n  context:    ${status.summary.context}\n`);
          if (status.summary.server) ctx.out(`  server:     ${status.summary.server}\n`);
          if (status.summary.kubernetesVersion) ctx.out(`  version:    Kubernetes ${status.summary.kubernetesVersion}\n`);
          if (status.summary.upgrading) ctx.out(`  upgrading:  ${status.summary.upgrading.from} → ${status.summary.upgrading.to} since ${status.summary.upgrading.startedAt}\n`);
          if (status.summary.serviceIps) ctx.out(`  LB IPs:     ${status.summary.serviceIps}\n`);
        }
        if (status.nodes?.nodes === 'real') {
          ctx.out(`  nodes:      real (pods run in containers on ${status.nodes.realNode}; simulated pool: ${status.nodes.simulatedNodes.join(', ')})\n`);
          ctx.out(`  containerd: ${status.nodes.containerdAddress} (namespace ${status.nodes.containerdNamespace})\n  host IP:    ${status.nodes.hostIP} (pod network ${status.nodes.podCIDR}, DNS ${status.nodes.clusterDNS})\n`);
        } else if (status.nodes?.nodes === 'simulated') {
          ctx.out(`  nodes:      simulated (nothing runs in pods: ${status.nodes.reason})\n`);
        }
        for (const p of status.processes ?? []) {
          ctx.out(`  ${p.id.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${p.running ? 'running' : 'stopped'}${p.rssBytes === undefined ? '' : `  ${mb(p.rssBytes)}`}\n`);
        }
        if (status.podsRssBytes !== undefined) ctx.out(`  ${'pods and shims'.padEnd(24)} ${' '.repeat(21)}${mb(status.podsRssBytes)}\n`);
        if (status.totalRssBytes !== undefined) ctx.out(`  total RSS: ${mb(status.totalRssBytes)}\n`);
        for (const problem of status.exists ? status.problems : []) ctx.out(`  problem: ${problem}\n`);
      }
      if (!status.running) ctx.setExitCode(1);
    });

  cluster
    .command('binaries')
    .description('build (first time, from the Go module proxy: minutes) or verify the local control-plane binaries and print where they are')
    .addOption(new Option('--verify-only', 'never build: fail if a binary is missing or corrupt'))
    .addOption(new Option('--kubernetes-version <version>', 'only the components of this Kubernetes version (kube-apiserver, -controller-manager, -scheduler; kubelet, kube-proxy for a real node): what `cluster upgrade --version` needs'))
    .addOption(new Option('--nodes <pool>', 'real: also the real node (kubelet, kube-proxy, CoreDNS, provisioner, images; installs missing Debian packages), simulated: control plane only, auto: real where it can run').choices(['real', 'simulated', 'auto']).default('auto'))
    .addOption(jsonOption())
    .action(async (_flags: ClusterFlags, command: Command) => {
      const opts = command.optsWithGlobals() as ClusterFlags & { verifyOnly?: boolean };
      const { ensureBinaries } = await import('../../cluster/index.js');
      const { prepareNodeHost } = await import('../../cluster/index.js');
      const logger = ctx.logger().child({ component: 'cluster' });
      const started = Date.now();
      const node = await prepareNodeHost(opts.nodes ?? 'auto', (line) => ctx.err(`[binaries] ${line}\n`), ctx.shutdownSignal, opts.verifyOnly !== true);
      const only = await kubernetesOnly(opts.kubernetesVersion, node);
      const { binaries, results } = await ensureBinaries({
        node,
        ...only,
        build: opts.verifyOnly !== true,
        verify: 'full',
        signal: ctx.shutdownSignal,
        onProgress: binaryProgress((line) => ctx.err(`[binaries] ${line}\n`), logger),
      });
      if (opts.json === true) {
        ctx.out(`${JSON.stringify({ elapsedMs: Date.now() - started, results, binaries }, null, 2)}\n`);
        return;
      }
      for (const r of results) ctx.out(`${r.component.padEnd(22)} ${r.version.padEnd(8)} ${r.action.padEnd(9)} ${r.dir}\n`);
      ctx.out(`cache: ${binaries.cacheDir} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    });

  cluster
    .command('kubeconfig')
    .description('print the path of the cluster kubeconfig (use: export KUBECONFIG=$(edgemu cluster kubeconfig))')
    .addOption(nameOption())
    .action(async (_flags: ClusterFlags, command: Command) => {
      const opts = command.optsWithGlobals() as ClusterFlags & { stateDir: string };
      const { clusterKubeconfig } = await import('../../cluster/index.js');
      ctx.out(`${await clusterKubeconfig({ name: opts.name, stateDir: opts.stateDir })}\n`);
    });

  cluster
    .command('upgrade')
    .description('upgrade a running local cluster in place to another Kubernetes version (same etcd data; pods keep running; one minor at a time, never down)')
    .requiredOption('--kubernetes-version <version>', 'the Kubernetes version to move to, e.g. v1.37.2')
    .addOption(nameOption())
    .addOption(new Option('--timeout <seconds>', 'how long each restarted component may take to be ready').default('120'))
    .addOption(jsonOption())
    .action(async (_flags: ClusterFlags, command: Command) => {
      const opts = command.optsWithGlobals() as ClusterFlags & { stateDir: string };
      const timeoutSeconds = Number(opts.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got "${opts.timeout ?? ''}"`);
      const { clusterUpgrade } = await import('../../cluster/index.js');
      const logger = ctx.logger().child({ component: 'cluster' });
      const progress = (message: string) => ctx.err(`[upgrade] ${message}\n`);
      const result = await clusterUpgrade({
        name: opts.name,
        stateDir: opts.stateDir,
        version: opts.kubernetesVersion ?? '',
        logger,
        signal: ctx.shutdownSignal,
        onProgress: progress,
        stepTimeoutMs: timeoutSeconds * 1000,
        ensure: {
          onProgress: binaryProgress(progress, logger),
        },
      });
      if (opts.json === true) {
        ctx.out(`${JSON.stringify({ from: result.from, to: result.to, changed: result.changed, durationMs: result.durationMs, steps: result.steps }, null, 2)}\n`);
      } else if (!result.changed) {
        ctx.out(`cluster "${opts.name}" already runs Kubernetes ${result.to}; nothing to do\n`);
      } else {
        ctx.out(`cluster "${opts.name}" upgraded from ${result.from} to ${result.to} in ${(result.durationMs / 1000).toFixed(1)} s\n`);
        for (const s of result.steps) ctx.out(`  ${s.component.padEnd(24)} ${(s.ms / 1000).toFixed(1)} s\n`);
      }
    });

  registerClusterAccessCommands(cluster, ctx);
  registerClusterShareCommands(cluster, ctx);
};

/** Build/verify progress of the cluster binaries: milestones shown, raw Go output at debug level. */
function binaryProgress(show: (line: string) => void, logger: { debug: (obj: object, msg: string) => void }) {
  return (p: BinaryProgress): void => {
    if (p.kind === 'step') show(`${p.component} ${p.version}: ${p.message}`);
    else logger.debug({ component: p.component }, p.message);
  };
}

async function up(ctx: CliContext, command: Command): Promise<void> {
  const opts = command.optsWithGlobals() as ClusterFlags & { stateDir: string };
  const timeoutSeconds = Number(opts.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got "${opts.timeout ?? ''}"`);
  if (opts.foreground === true && opts.provider === 'kind') throw new UsageError('--foreground works with --provider local only');
  const { clusterUp, clusterDown } = await import('../../cluster/index.js');
  const logger = ctx.logger().child({ component: 'cluster' });
  const progress = (message: string) => ctx.err(`[cluster] ${message}\n`);
  const { summary, started, elapsedMs } = await clusterUp({
    name: opts.name,
    stateDir: globalOptions(command).stateDir,
    provider: opts.provider === 'kind' ? 'kind' : 'local',
    nodes: opts.nodes ?? 'auto',
    ...(opts.serviceIps === undefined ? {} : { serviceIps: opts.serviceIps }),
    logger,
    signal: ctx.shutdownSignal,
    onProgress: progress,
    timeoutMs: timeoutSeconds * 1000,
    ensure: {
      onProgress: binaryProgress(progress, logger),
    },
    // a foreground cluster dies with this process even on SIGKILL
    ...(opts.foreground === true ? { ownerPid: process.pid } : {}),
  });
  if (opts.json === true) {
    ctx.out(`${JSON.stringify({ ...summary, started, elapsedMs }, null, 2)}\n`);
  } else {
    ctx.out(`cluster "${summary.name}" (${summary.provider}) ${started ? `ready in ${(elapsedMs / 1000).toFixed(1)} s` : 'was already running'}\n`);
    ctx.out(`  kubeconfig: ${summary.kubeconfig}\n  context:    ${summary.context}\n`);
    if (summary.server) ctx.out(`  server:     ${summary.server}\n`);
    if (summary.serviceIps) ctx.out(`  LB IPs:     ${summary.serviceIps}\n`);
    ctx.out(`  use it:     export KUBECONFIG=${summary.kubeconfig}\n`);
  }
  if (opts.foreground === true) {
    progress('running in the foreground; Ctrl-C stops the cluster');
    // the children are unref'd: keep the event loop alive until the signal comes
    const keepAlive = setInterval(() => undefined, 60_000);
    await new Promise<void>((resolve) => {
      if (ctx.shutdownSignal.aborted) resolve();
      else ctx.shutdownSignal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(keepAlive);
    progress('stopping');
    await clusterDown({ name: opts.name, stateDir: globalOptions(command).stateDir, logger });
  }
}

/** `--kubernetes-version V`: that version's components only (the rest of the set stays as pinned). */
async function kubernetesOnly(version: string | undefined, node: boolean) {
  if (version === undefined) return {};
  const { kubernetesComponents, versionsFromEnv, withKubernetes, WIRED_KUBERNETES_VERSIONS } = await import('../../cluster/index.js');
  if (!WIRED_KUBERNETES_VERSIONS.includes(version)) throw new UsageError(`--kubernetes-version must be one of ${WIRED_KUBERNETES_VERSIONS.join(', ')}, got "${version}"`);
  return { versions: withKubernetes(versionsFromEnv(), version), components: kubernetesComponents(node) };
}

const mb = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MiB`;
