import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu deploy MANIFEST --device D`: applies a deployment manifest to an edge device through
 * the running hub's service API (`applyConfigurationContent`, like `az iot edge set-modules`).
 * A refused manifest prints every problem and exits 1; nothing is written then.
 */
export const registerDeploy: RegisterCommand = (program, ctx) => {
  program
    .command('deploy')
    .description('apply a deployment manifest to an IoT Edge device through the running hub (every module twin desired section replaced)')
    .argument('<manifest>', 'deployment manifest JSON file')
    .requiredOption('--device <device>', 'the IoT Edge device to deploy to')
    .option('--json', 'print the outcome as JSON')
    .action(async (file: string, opts: { device: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const json = Boolean(opts.json || g.json);
      const { readManifestFile, parseJsonText, validateManifest } = await import('../../manifest/index.js');
      const { connectToRunningHub, DeploymentRefusedError } = await import('../../service-api/index.js');
      const text = await readManifestFile(file);
      const parsed = parseJsonText(text);
      const refuse = (status: number, errors: ReadonlyArray<{ path: string; message: string }>, warnings: readonly string[]) => {
        if (json) {
          ctx.out(`${JSON.stringify({ file, device: opts.device, applied: false, status, errors, warnings })}\n`);
        } else {
          ctx.err(`deployment refused: ${file} has ${errors.length} problem${errors.length === 1 ? '' : 's'} (status ${status}); nothing was written\n`);
          for (const e of errors) ctx.err(`  ${e.path || '(document)'}: ${e.message}\n`);
          for (const w of warnings) ctx.err(`  warning: ${w}\n`);
        }
        ctx.setExitCode(1);
      };
      if (!parsed.ok) {
        refuse(400, [{ path: '', message: parsed.message }], []);
        return;
      }
      const client = connectToRunningHub(g.stateDir);
      try {
        await client.applyConfigurationContent(opts.device, parsed.value);
        // The hub accepted it, so the same validator gives the deployment's modules and its
        // warnings (the REST answer is a bare 204). Listing the device's module identities
        // instead would miss modules without a twin section (the agent creates their
        // identities later) and show modules an earlier deployment left behind.
        const accepted = validateManifest(parsed.value);
        const modules = accepted.value?.edgeAgent.modules.map((m) => ({ name: m.name, status: m.status })) ?? [];
        const twins = Object.keys(accepted.value?.modulesContent ?? {});
        if (json) {
          ctx.out(`${JSON.stringify({ file, device: opts.device, applied: true, modules: modules.map((m) => m.name), twins, warnings: accepted.warnings })}\n`);
        } else {
          ctx.out(`deployed ${file} to ${opts.device}\n`);
          ctx.out(`modules: ${modules.length === 0 ? '(none)' : modules.map((m) => (m.status === 'running' ? m.name : `${m.name} (${m.status})`)).join(', ')}\n`);
          ctx.out(`twins written: ${twins.join(', ')}\n`);
          for (const w of accepted.warnings) ctx.err(`warning: ${w}\n`);
        }
      } catch (error) {
        if (error instanceof DeploymentRefusedError) refuse(error.deploymentStatus, error.errors, error.warnings);
        else throw error;
      } finally {
        client.close();
      }
    });
};
