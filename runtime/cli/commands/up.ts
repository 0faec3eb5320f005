import { Option } from 'commander';
import { EdgemuError, UsageError } from '../../errors.js';
import { globalOptions, type RegisterCommand } from '../cli-context.js';
import type { ContainerdTarget, PreparedImage } from '../../image/index.js';

const port = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${name} must be a port number 0-65535, got ${JSON.stringify(value)}`);
  return n;
};

interface UpFlags {
  cluster?: 'local' | 'kind' | 'current';
  kubeconfig?: string;
  context?: string;
  mqttsPort: number;
  amqpsPort: number;
  httpsPort: number;
  host?: string[];
  bind: string;
  limit?: string[];
  deployment?: string;
  device?: string;
  devices?: string;
  devicePrefix?: string;
  tags?: string;
  json?: boolean;
  layout: 'default' | 'azure-stack-edge';
}

/** The local/kind cluster `edgemu up` starts and names. */
const CLUSTER_NAME = 'edgemu';

/**
 * `edgemu up`: the main job. Starts (or reuses) the cluster, the server (hub, service API,
 * routing) and one edge agent per edge device; with `--deployment FILE --device D` creates the
 * edge device if needed and deploys the manifest to it (the same `applyConfigurationContent`
 * as `edgemu deploy`); with `--devices N [--device-prefix P] [--tags JSON]` creates a fleet of N
 * edge devices (tagged, so automatic deployments target them; with `--deployment`, each gets it);
 * prints where everything is; follows the agents' reports; and on Ctrl-C stops everything it
 * started — a local cluster keeps running only if it ran before.
 */
export const registerUp: RegisterCommand = (program, ctx) => {
  program
    .command('up')
    .description('start the cluster, the hub, the service API and an edge agent per edge device; optionally deploy a manifest')
    .addOption(new Option('--cluster <kind>', 'local: control plane built from Go modules with simulated nodes; kind: a kind cluster; current: --kubeconfig/--context or the default kubeconfig').choices(['local', 'kind', 'current']))
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig of an existing cluster (implies --cluster current)').env('EDGEMU_KUBECONFIG'))
    .addOption(new Option('--context <name>', 'kubeconfig context (with --cluster current)'))
    .addOption(new Option('--mqtts-port <port>', 'MQTT over TLS port (0 = any free port)').argParser(port('--mqtts-port')).default(8883))
    .addOption(new Option('--amqps-port <port>', 'AMQP over TLS port (0 = any free port)').argParser(port('--amqps-port')).default(5671))
    .addOption(new Option('--https-port <port>', 'service API HTTPS port (0 = any free port)').argParser(port('--https-port')).default(8443))
    .addOption(new Option('--host <name...>', 'host names clients use (first = hub host name; added to the TLS certificate)'))
    .addOption(new Option('--bind <address>', 'address the hub and service API listen on').default('0.0.0.0'))
    .addOption(new Option('--limit <name=value...>', 'a hub or service API limit against slow or greedy clients, e.g. service.maxConnections=4096 (docs/hub.md "Limits")'))
    .option('--deployment <file>', 'deployment manifest to apply to --device once everything runs')
    .option('--device <device>', 'edge device to deploy to (created as an IoT Edge device when missing)')
    .option('--devices <n>', 'create a fleet of N IoT Edge devices (1-1000), each with its agent and namespace; with --deployment each gets it')
    .option('--device-prefix <prefix>', 'with --devices: device ids are <prefix>1 … <prefix>N, zero-padded (default edge-)')
    .option('--tags <json>', 'with --devices: tags every fleet device twin gets, e.g. \'{"env":"prod"}\' (for automatic deployments: edgemu deployment create --target-condition)')
    .option('--json', 'print the startup summary as one JSON object on stdout')
    .addOption(
      new Option('--layout <layout>', "where modules go: default (namespace edgemu-<device>, edgemu.io labels) or azure-stack-edge (one device in namespace iotedge, IoT Edge's labels, an edgehub LoadBalancer Service; docs/azure-stack-edge.md)")
        .choices(['default', 'azure-stack-edge'])
        .default('default'),
    )
    .action(async (opts: UpFlags, cmd) => {
      const g = globalOptions(cmd);
      if (opts.devices !== undefined && opts.device !== undefined) throw new UsageError('--devices creates its own devices (--device-prefix names them); it does not go with --device');
      if (opts.devices === undefined && (opts.devicePrefix !== undefined || opts.tags !== undefined)) throw new UsageError('--device-prefix and --tags go with --devices N');
      if (opts.deployment && !opts.device && opts.devices === undefined) throw new UsageError('--deployment needs --device or --devices');
      const { planFleet, describeDeviceList } = await import('../../agent/index.js');
      const fleet = opts.devices !== undefined ? planFleet({ devices: opts.devices, prefix: opts.devicePrefix, tags: opts.tags }) : undefined;
      if (fleet && fleet.deviceIds.length > 1 && opts.layout === 'azure-stack-edge') {
        throw new UsageError('--layout azure-stack-edge holds one edge device per cluster (namespace iotedge); --devices N needs the default layout');
      }
      /** The devices `up` deploys to and names in the certificate: the fleet, or --device. */
      const targetDevices = fleet?.deviceIds ?? (opts.device ? [opts.device] : []);
      const clusterKind = opts.cluster ?? (opts.kubeconfig || opts.context ? 'current' : 'local');
      if (clusterKind !== 'current' && (opts.kubeconfig || opts.context)) throw new UsageError(`--kubeconfig/--context go with --cluster current, not --cluster ${clusterKind}`);
      // A bad --limit fails before anything starts.
      const { parseLimitFlags } = await import('../limit-flags.js');
      const limits = parseLimitFlags(opts.limit);
      const progress = (message: string) => ctx.err(`[up] ${message}\n`);
      const logger = ctx.logger();
      const path = await import('node:path');

      // 1. A bad manifest fails before anything starts.
      let content: unknown;
      let manifestModules: { name: string; image: string }[] = [];
      if (opts.deployment) {
        const { readManifestFile, parseManifestText, ManifestInvalidError } = await import('../../manifest/index.js');
        const text = await readManifestFile(opts.deployment);
        const parsed = parseManifestText(text);
        if (parsed.status !== 200) throw new ManifestInvalidError(opts.deployment, parsed.status, parsed.errors);
        for (const w of parsed.warnings) progress(`warning: ${w}`);
        manifestModules = parsed.value.edgeAgent.modules.map((m) => ({ name: m.name, image: m.image }));
        content = JSON.parse(text.replace(/^\uFEFF/, ''));
      }

      // The sample images (and Microsoft's sensor stand-in) need no cluster to be built: that
      // runs while the cluster starts; they are imported once its real node is there.
      let building: Promise<PreparedImage[]> | undefined;
      // (Only where a real node can run at all: Linux, root; docs/cluster.md "Requirements".)
      if (clusterKind === 'local' && manifestModules.length > 0 && process.platform === 'linux' && process.getuid?.() === 0) {
        const { buildManifestImages, ImageStore } = await import('../../image/index.js');
        building = buildManifestImages({ modules: manifestModules }, { store: new ImageStore(), onProgress: progress });
        // Awaited (and its error reported) only if a real node comes up to import them into.
        building.catch(() => undefined);
      }

      // 2. The cluster.
      const { loadKubeConfig } = await import('../../cluster/index.js');
      let stopCluster: (() => Promise<void>) | undefined;
      let clusterDescription: string;
      let kubeConfig;
      let realNode: { hostIP: string; clusterDomain: string; containerd: ContainerdTarget; node: string } | undefined;
      if (clusterKind === 'current') {
        kubeConfig = loadKubeConfig({ kubeconfig: opts.kubeconfig, context: opts.context });
        clusterDescription = `current kubeconfig context ${kubeConfig.getCurrentContext()} (${kubeConfig.getCurrentCluster()?.server ?? '?'})`;
      } else {
        const { clusterStatus } = await import('../../cluster/index.js');
        const { startUpCluster } = await import('../../agent/index.js');
        const before = await clusterStatus({ name: CLUSTER_NAME, stateDir: g.stateDir });
        progress(`${before.running ? 'reusing' : 'starting'} the ${clusterKind} cluster "${CLUSTER_NAME}"${before.running || clusterKind !== 'local' ? '' : ' (on first use its binaries are built from Go modules, which takes minutes)'}`);
        const cluster = await startUpCluster({
          name: CLUSTER_NAME,
          stateDir: g.stateDir,
          provider: clusterKind,
          logger,
          signal: ctx.shutdownSignal,
          onProgress: (m) => progress(`cluster: ${m}`),
          ensure: { onProgress: (p) => (p.kind === 'step' ? progress(`cluster: ${p.component} ${p.version}: ${p.message}`) : undefined) },
        });
        const { summary, started, elapsedMs } = cluster;
        progress(`cluster "${summary.name}" ${started ? `ready in ${(elapsedMs / 1000).toFixed(1)} s` : 'was already running'}`);
        kubeConfig = loadKubeConfig({ kubeconfig: summary.kubeconfig, context: summary.context });
        clusterDescription = `${clusterKind} cluster "${summary.name}" (kubeconfig ${summary.kubeconfig})`;
        if (clusterKind === 'local') {
          // The real node's contract (docs/cluster.md "Node info"): where pods reach the host and its containerd.
          const { readClusterNodeInfo, clusterDir } = await import('../../cluster/index.js');
          const { containerdTargetOfNode } = await import('../../image/index.js');
          const info = readClusterNodeInfo(clusterDir(g.stateDir, CLUSTER_NAME));
          const containerd = containerdTargetOfNode(info);
          if (info?.nodes === 'real' && containerd !== undefined) {
            realNode = { hostIP: info.hostIP, clusterDomain: info.clusterDomain, containerd, node: info.realNode };
            clusterDescription += `, modules run on the real node ${info.realNode}`;
          } else if (info?.nodes === 'simulated') {
            clusterDescription += ', simulated pods only';
          }
        }
        if (cluster.stop) {
          const stop = cluster.stop;
          stopCluster = async () => {
            progress(`stopping the ${clusterKind} cluster "${CLUSTER_NAME}" (it was not running before)`);
            await stop();
          };
        }
      }

      // 3. Hub, service API, routing and the agents.
      const { startServer } = await import('../../server/start-server.js');
      const { layoutByName } = await import('../../translate/index.js');
      const layout = layoutByName(opts.layout);
      if (layout === undefined) throw new UsageError(`--layout ${JSON.stringify(opts.layout)} is not a layout (default, azure-stack-edge)`);
      let server;
      // Imported while the server starts; the deployment waits for both (step 4).
      let importing: Promise<unknown> | undefined;
      if (realNode !== undefined && building !== undefined) {
        const target = realNode.containerd;
        const { importManifestImages } = await import('../../image/index.js');
        importing = building.then((prepared) => importManifestImages(prepared, target, { onProgress: progress }));
        importing.catch(() => undefined);
      }
      try {
        server = await startServer({
          stateDir: g.stateDir,
          ...(opts.host ? { hostNames: opts.host } : {}),
          mqttsPort: opts.mqttsPort,
          amqpsPort: opts.amqpsPort,
          httpsPort: opts.httpsPort,
          bindAddress: opts.bind,
          limits,
          logger,
          kubeConfig,
          layout,
          ...(opts.device ? { preferredDevice: opts.device } : {}),
          ...(realNode
            ? {
                realNode: {
                  hostIP: realNode.hostIP,
                  clusterDomain: realNode.clusterDomain,
                  containerd: realNode.containerd,
                  ...(targetDevices.length > 0 ? { devices: targetDevices } : {}),
                  onImageProgress: (m: string) => progress(m),
                },
              }
            : {}),
        });
      } catch (error) {
        await importing?.catch(() => undefined);
        await stopCluster?.();
        throw error;
      }
      const stopAll = async () => {
        await server.close();
        await stopCluster?.();
      };
      let unsubscribe: (() => void) | undefined;
      try {
        // 4. The device and the deployment, through the server's API (the same
        // applyConfigurationContent as `edgemu deploy`); the agent host hears of the new device.
        if (fleet) {
          // One transaction: N devices and their tags are one write, and the automatic deployments
          // and the agent host each hear of them in one go.
          const created = server.store.transaction(() => {
            let n = 0;
            for (const deviceId of fleet.deviceIds) {
              if (server.ensureEdgeDevice(deviceId)) n += 1;
              if (fleet.tags) server.store.twins.update({ deviceId }, { tags: fleet.tags as never });
            }
            return n;
          });
          progress(`fleet: ${describeDeviceList(fleet.deviceIds)}: ${created} IoT Edge devices created, ${fleet.deviceIds.length - created} reused${fleet.tags ? `, tagged ${JSON.stringify(fleet.tags)}` : ''}`);
        } else if (opts.device && server.ensureEdgeDevice(opts.device)) progress(`created IoT Edge device ${opts.device}`);
        if (targetDevices.length > 0) {
          // The sample images are on the node before the deployment, so the first plan places them
          // on the real node (docs/images.md).
          if (content !== undefined) await importing;
          if (content !== undefined) {
            const { describeIssues } = await import('../../service-api/index.js');
            for (const deviceId of targetDevices) {
              const outcome = server.deploy(deviceId, content);
              if (!outcome.applied) throw new EdgemuError('AGENT_DEPLOY_FAILED', `deployment ${opts.deployment} refused (${outcome.status}):\n${describeIssues(outcome.errors)}`);
              if (!fleet) progress(`deployed ${opts.deployment} to ${deviceId} (modules ${outcome.modules.join(', ')})`);
            }
            if (fleet) progress(`deployed ${opts.deployment} to ${fleet.deviceIds.length} devices`);
          }
          await server.agents?.scan();
        }
        for (const [deviceId, reason] of server.agents?.refused ?? []) progress(`error: ${deviceId}: ${reason}`);

        const summary = {
          stateDir: path.resolve(g.stateDir),
          cluster: clusterDescription,
          layout: layout.name,
          hostName: server.hub.hostName,
          mqttsPort: server.mqttsPort,
          amqpsPort: server.amqpsPort ?? null,
          httpsPort: server.httpsPort ?? null,
          webUrl: server.webUrl() ?? null,
          caFile: path.resolve(server.caFile),
          agents: server.agents?.devices ?? [],
          pid: process.pid,
        };
        const sd = g.stateDir === '.edgemu' ? '' : ` --state-dir ${g.stateDir}`;
        if (opts.json || g.json) ctx.out(`${JSON.stringify(summary)}\n`);
        else {
          ctx.out(`edgemu up (pid ${process.pid}) — Ctrl-C stops everything it started\n`);
          ctx.out(`  cluster        ${summary.cluster}\n`);
          if (layout.name !== 'default') ctx.out(`  layout         ${layout.name} (modules in namespace ${layout.namespace(opts.device ?? '')}, Service edgehub)\n`);
          ctx.out(`  MQTT over TLS  ${summary.hostName}:${summary.mqttsPort}\n`);
          ctx.out(`  AMQP over TLS  ${summary.hostName}:${summary.amqpsPort}\n`);
          ctx.out(`  service API    ${summary.httpsPort === null ? 'not available' : `https://${summary.hostName}:${summary.httpsPort}`}\n`);
          if (summary.webUrl) ctx.out(`  web view       ${summary.webUrl}\n`);
        ctx.out(`  CA certificate ${summary.caFile}\n`);
          ctx.out(`  state dir      ${summary.stateDir}\n`);
          ctx.out(`  edge agents    ${summary.agents.length > 0 ? describeDeviceList(summary.agents) : 'none yet (create an edge device: edgemu identity create …)'}\n`);
          ctx.out(`connection strings: edgemu connection-string${sd} --device D [--module M]\n`);
          if (opts.device) ctx.out(`module status:      edgemu status${sd} --device ${opts.device}\n`);
        }

        // 5. Follow what the agents report, one line whenever a device's picture changes — for a
        // fleet, one line whenever the count of devices with every module running changes.
        const { describeReported } = await import('../../agent/index.js');
        const { describeFleetProgress } = await import('../../agent/index.js');
        const last = new Map<string, string>();
        const fleetReports = new Map<string, Record<string, unknown> | undefined>((fleet?.deviceIds ?? []).map((d) => [d, undefined]));
        let lastFleetLine = '';
        unsubscribe = server.store.twins.onReportedChanged((change) => {
          if (change.ref.moduleId !== '$edgeAgent') return;
          const twin = server.store.twins.get(change.ref);
          const reported = twin?.properties.reported as Record<string, unknown> | undefined;
          if (fleetReports.has(change.ref.deviceId)) {
            fleetReports.set(change.ref.deviceId, reported);
            const line = describeFleetProgress(fleetReports);
            if (line !== lastFleetLine) progress((lastFleetLine = line));
            return;
          }
          const line = describeReported(change.ref.deviceId, reported);
          if (line && last.get(change.ref.deviceId) !== line) {
            last.set(change.ref.deviceId, line);
            progress(line);
          }
        });

        if (!ctx.shutdownSignal.aborted) {
          await new Promise<void>((resolve) => ctx.shutdownSignal.addEventListener('abort', () => resolve(), { once: true }));
        }
        progress('stopping');
      } finally {
        unsubscribe?.();
        await stopAll();
      }
      ctx.out('edgemu up stopped\n');
    });
};
