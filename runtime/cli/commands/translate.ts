import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

interface TranslateOptions {
  device: string;
  output: 'yaml' | 'json';
  gatewayHost?: string;
  hubHostName?: string;
  ca?: string;
  storageClass?: string;
  volumeSize: string;
  json?: boolean;
  layout: string;
  hubIp?: string;
}

/**
 * `edgemu translate MANIFEST --device D [-o yaml|json] [--gateway-host H]`: prints the Kubernetes
 * objects edgemu would apply for the device, ready for `kubectl apply -f -`. Warnings (every
 * createOptions field that does not map, placeholders) go to stderr; the output stays clean.
 */
export const registerTranslate: RegisterCommand = (program, ctx) => {
  program
    .command('translate')
    .description('print the Kubernetes objects of a deployment manifest for one device (kubectl apply -f - ready)')
    .argument('<manifest>', 'deployment manifest file (JSON)')
    .requiredOption('--device <device>', 'edge device id (names the namespace and goes into IOTEDGE_DEVICEID)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .option('--json', 'same as -o json (a v1 List)')
    .option('--gateway-host <host[:port]>', "where pods reach the hub; a name the hub's certificate carries (default: the running hub's first non-loopback --host name, else the hub host name; the hub MQTTS port is added when no port is given)")
    .option('--hub-host-name <name>', 'IoT Hub host name for connection strings (default: from the hub in --state-dir, else localhost)')
    .option('--ca <file>', 'hub CA certificate (PEM) modules trust (default: <state-dir>/ca.pem)')
    .option('--storage-class <name>', 'storage class of the PVCs made for named volumes (default: the cluster default)')
    .option('--volume-size <quantity>', 'size requested by each PVC', '1Gi')
    .option('--layout <layout>', "default (namespace edgemu-<device>, edgemu.io labels) or azure-stack-edge (namespace iotedge, IoT Edge's labels, edgehub LoadBalancer, agent RBAC; docs/azure-stack-edge.md)", 'default')
    .option('--hub-ip <ipv4>', 'host address pods reach the hub on: adds the edgehub Service and its EndpointSlice, and modules dial edgehub')
    .addHelpText(
      'after',
      [
        '',
        'Module keys come from the hub store in --state-dir when it exists (nothing is created);',
        'modules without an identity get a Secret with a marked placeholder key and a warning.',
        'Output: multi-document YAML, or a v1 List with -o json. Exit 1 for an invalid manifest.',
        '',
        'Examples:',
        '  edgemu translate deployments/examples/temperature-filter.deployment.json --device edge-1',
        '  edgemu translate m.json --device edge-1 --gateway-host 172.18.0.1 | kubectl apply -f -',
        '  edgemu translate m.json --device edge-1 --layout azure-stack-edge --hub-ip 10.88.0.1',
      ].join('\n'),
    )
    .action(async (manifest: string, opts: TranslateOptions, command: Command) => {
      const g = globalOptions(command);
      const [{ loadDeploymentFile }, { translateDeployment, renderObjects, checkTranslateInputs, translateContextFromState, layoutByName }, { openHubAdmin }] = await Promise.all([
        import('../../manifest/index.js'),
        import('../../translate/index.js'),
        import('../../service-api/index.js'),
      ]);
      const problem = checkTranslateInputs({
        deviceId: opts.device,
        gatewayHost: opts.gatewayHost,
        hubHostName: opts.hubHostName,
        storageClass: opts.storageClass,
        volumeSize: opts.volumeSize,
        layout: opts.layout,
        hubIp: opts.hubIp,
      });
      if (problem !== undefined) throw new UsageError(problem);
      const layout = layoutByName(opts.layout);
      const { deployment, warnings: manifestWarnings } = await loadDeploymentFile(manifest);
      const { context, notes } = await translateContextFromState({
        stateDir: g.stateDir,
        openHub: (stateDir) => openHubAdmin(stateDir, { logger: ctx.logger() }),
        deviceId: opts.device,
        moduleNames: deployment.edgeAgent.modules.map((m) => m.name),
        gatewayHost: opts.gatewayHost,
        hubHostName: opts.hubHostName,
        caFile: opts.ca,
        layout,
        hubIp: opts.hubIp,
        storage: { size: opts.volumeSize, ...(opts.storageClass === undefined ? {} : { storageClassName: opts.storageClass }) },
      });
      const translation = translateDeployment(deployment.edgeAgent, context);
      for (const w of [...manifestWarnings, ...notes, ...translation.warnings]) ctx.err(`warning: ${w}\n`);
      ctx.out(renderObjects(translation.objects, opts.json === true ? 'json' : opts.output));
    });
};
