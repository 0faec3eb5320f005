import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu status --device D [--json]`: what the device's edge agent last reported — a table of
 * modules (desired, runtime status, restarts, exit code, since) or, with --json, the
 * `$edgeAgent` reported properties object as IoT Edge shapes it. Through the running hub's service
 * API, or offline from the state dir's store when none runs (then it shows the last report).
 */
export const registerStatus: RegisterCommand = (program, ctx) => {
  program
    .command('status')
    .description("show the modules of an edge device as its agent reported them ($edgeAgent reported properties)")
    .requiredOption('--device <device>', 'edge device id')
    .option('--json', 'print the $edgeAgent reported properties object')
    .action(async (opts: { device: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { openHubAdmin } = await import('../../service-api/index.js');
      const { renderStatusTable } = await import('../../agent/index.js');
      const admin = openHubAdmin(g.stateDir, { logger: ctx.logger(), mustExist: true });
      try {
        const { reported, desiredVersion } = await admin.edgeAgentReport(opts.device);
        if (opts.json || g.json) ctx.out(`${JSON.stringify(reported, null, 2)}\n`);
        else ctx.out(renderStatusTable(opts.device, reported, desiredVersion));
      } finally {
        admin.close();
      }
    });
};
