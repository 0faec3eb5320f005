import { InvalidArgumentError, Option } from 'commander';
import { globalOptions, type RegisterCommand } from '../cli-context.js';
import { EdgemuError } from '../../errors.js';

/**
 * `edgemu deployment create|list|show|update|delete`: IoT Edge automatic and layered deployments on the
 * running hub (`/configurations`, docs/deployments.md), mirroring `az iot edge deployment`:
 * `create ID --content FILE --target-condition C [--priority N] [--layered] [--metrics FILE] [--labels JSON]`,
 * `update ID [--target-condition C] [--priority N] [--labels JSON] [--metrics FILE] [--etag E]`.
 */
export const registerDeployment: RegisterCommand = (program, ctx) => {
  const deployment = program.command('deployment').description('automatic and layered IoT Edge deployments on the running hub (docs/deployments.md)');

  deployment
    .command('create')
    .description("create a deployment: every IoT Edge device whose twin meets the target condition gets it (e.g. --target-condition \"tags.env='prod'\")")
    .argument('<id>', 'deployment id: up to 128 lowercase letters, digits and - : + % _ # * ? ! ( ) , = @ ; $ \'')
    .requiredOption('--content <file>', 'deployment content JSON: {"modulesContent": …} or {"content": {"modulesContent": …}}')
    .requiredOption('--target-condition <condition>', "which devices: a twin-query condition such as \"tags.env='prod'\", or '*' for every IoT Edge device")
    .addOption(new Option('--priority <n>', 'the higher wins among base deployments; layers merge in ascending order').default(0).argParser(nonNegativeInt))
    .option('--layered', 'the content is a layer ("properties.desired.<path>" keys) applied on top of the base deployment')
    .option('--metrics <file>', 'custom metric queries JSON: {"queries": {"<name>": "SELECT deviceId FROM devices …"}}')
    .option('--labels <json>', 'labels as a JSON object of strings')
    .option('--json', 'print the created deployment as JSON')
    .action(async (id: string, opts: { content: string; targetCondition: string; priority: number; layered?: boolean; metrics?: string; labels?: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { connectToRunningHub, deploymentRequest, formatDeploymentDetails, parseJsonArgument } = await import('../../service-api/index.js');
      const body = deploymentRequest({
        id,
        content: await readJson(opts.content),
        targetCondition: opts.targetCondition,
        priority: opts.priority,
        layered: Boolean(opts.layered),
        ...(opts.metrics ? { metrics: await readJson(opts.metrics) } : {}),
        ...(opts.labels ? { labels: parseJsonArgument('--labels', opts.labels) as Record<string, string> } : {}),
      });
      const client = connectToRunningHub(g.stateDir);
      try {
        const created = await client.createConfiguration(body);
        ctx.out(opts.json || g.json ? `${JSON.stringify(created, null, 2)}\n` : `created deployment ${id}\n${formatDeploymentDetails(created)}`);
      } finally {
        client.close();
      }
    });

  deployment
    .command('list')
    .description('list the deployments with their kind, priority, target condition and system metrics')
    .option('--json', 'print the deployments as JSON')
    .action(async (opts: { json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { connectToRunningHub, formatDeploymentTable } = await import('../../service-api/index.js');
      const client = connectToRunningHub(g.stateDir);
      try {
        const list = await client.listConfigurations();
        ctx.out(opts.json || g.json ? `${JSON.stringify(list, null, 2)}\n` : formatDeploymentTable(list));
      } finally {
        client.close();
      }
    });

  deployment
    .command('show')
    .description('show one deployment: settings, modules and metrics (targetedCount, appliedCount, reportedSuccessfulCount, reportedFailedCount, custom)')
    .argument('<id>', 'deployment id')
    .option('--json', 'print the deployment as JSON (IoT Hub configuration shape)')
    .action(async (id: string, opts: { json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { connectToRunningHub, formatDeploymentDetails } = await import('../../service-api/index.js');
      const client = connectToRunningHub(g.stateDir);
      try {
        const shown = await client.getConfiguration(id);
        ctx.out(opts.json || g.json ? `${JSON.stringify(shown, null, 2)}\n` : formatDeploymentDetails(shown));
      } finally {
        client.close();
      }
    });

  deployment
    .command('update')
    .description('change what a deployment targets: its target condition, priority, labels or metrics (its content cannot change, as on IoT Hub: create a new deployment)')
    .argument('<id>', 'deployment id')
    .option('--target-condition <condition>', "the new target condition, e.g. \"tags.env='prod'\"")
    .addOption(new Option('--priority <n>', 'the new priority').argParser(nonNegativeInt))
    .option('--labels <json>', 'the new labels (a JSON object of strings; replaces all labels)')
    .option('--metrics <file>', 'the new custom metric queries JSON (replaces all): {"queries": {"<name>": "SELECT deviceId FROM devices …"}}')
    .option('--etag <etag>', 'update only if the deployment still has this ETag (as `deployment show` prints it); without it, the ETag read just before the update')
    .option('--content <file>', 'refused: the content of a deployment cannot change')
    .option('--json', 'print the updated deployment as JSON')
    .action(async (id: string, opts: { targetCondition?: string; priority?: number; labels?: string; metrics?: string; etag?: string; content?: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      if (opts.content !== undefined) {
        throw new EdgemuError('DEPLOYMENT_CONTENT_IMMUTABLE', `the content of deployment ${id} cannot change (IoT Hub keeps a deployment's content as created): create a new deployment with it, then delete ${id}`);
      }
      const { connectToRunningHub, deploymentUpdateRequest, formatDeploymentDetails, parseJsonArgument } = await import('../../service-api/index.js');
      const changes = {
        ...(opts.targetCondition !== undefined ? { targetCondition: opts.targetCondition } : {}),
        ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
        ...(opts.labels !== undefined ? { labels: parseJsonArgument('--labels', opts.labels) as Record<string, string> } : {}),
        ...(opts.metrics !== undefined ? { metrics: await readJson(opts.metrics) } : {}),
      };
      const client = connectToRunningHub(g.stateDir);
      try {
        const current = await client.getConfiguration(id);
        const body = deploymentUpdateRequest(current, changes);
        const updated = await client.updateConfiguration(body, opts.etag !== undefined ? opts.etag.replace(/^"(.*)"$/, '$1') : current.etag);
        ctx.out(opts.json || g.json ? `${JSON.stringify(updated, null, 2)}\n` : `updated deployment ${id}\n${formatDeploymentDetails(updated)}`);
      } finally {
        client.close();
      }
    });

  deployment
    .command('delete')
    .description('delete a deployment; devices it was applied to keep their modules until another deployment targets them')
    .argument('<id>', 'deployment id')
    .action(async (id: string, _opts: unknown, cmd) => {
      const g = globalOptions(cmd);
      const { connectToRunningHub } = await import('../../service-api/index.js');
      const client = connectToRunningHub(g.stateDir);
      try {
        await client.deleteConfiguration(id);
        ctx.out(`deleted deployment ${id}\n`);
      } finally {
        client.close();
      }
    });
};

/** A JSON file given to `--content`/`--metrics`. */
async function readJson(file: string): Promise<unknown> {
  const { readManifestFile, parseJsonText } = await import('../../manifest/index.js');
  const parsed = parseJsonText(await readManifestFile(file));
  if (!parsed.ok) throw new EdgemuError('DEPLOYMENT_INPUT', `${file}: ${parsed.message}`);
  return parsed.value;
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number of 0 or more');
  return Number(value);
}
