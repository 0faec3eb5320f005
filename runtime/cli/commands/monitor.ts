import { Option } from 'commander';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu monitor [--device D] [--module M] [--json]`: prints device-to-cloud and module output
 * messages as the hub stores them, until Ctrl-C. The stream resumes by itself after a dropped
 * connection (no message lost or repeated); if the hub goes away for good it exits 1.
 */
export const registerMonitor: RegisterCommand = (program, ctx) => {
  program
    .command('monitor')
    .description('stream telemetry ($upstream messages with their properties) from the running hub until Ctrl-C')
    .addOption(new Option('--device <device>', 'only messages from this device'))
    .addOption(new Option('--module <module>', 'only messages from this module'))
    .option('--json', 'print one JSON object per message (NDJSON)')
    .action(async (opts: { device?: string; module?: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const json = Boolean(opts.json || g.json);
      const { connectToRunningHub } = await import('../../service-api/service-client.js');
      const { formatTelemetryLine } = await import('../../service-api/format-telemetry.js');
      const client = connectToRunningHub(g.stateDir);
      const logger = ctx.logger();
      if (!json) ctx.err(`monitoring ${opts.device ? `device ${opts.device}${opts.module ? `/${opts.module}` : ''}` : 'all devices'} (Ctrl-C to stop)\n`);
      try {
        await client.streamEvents(
          { deviceId: opts.device, moduleId: opts.module },
          (event) => ctx.out(json ? `${JSON.stringify(event)}\n` : `${formatTelemetryLine(event)}\n`),
          ctx.shutdownSignal,
          { onReconnect: (error) => logger.warn({ err: error.message }, 'telemetry stream dropped; reconnecting') },
        );
      } finally {
        client.close();
      }
    });
};
