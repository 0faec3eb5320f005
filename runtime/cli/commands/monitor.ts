import { Option } from 'commander';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu monitor [--device D] [--module M] [--json]`: prints device-to-cloud and module output
 * messages as the hub stores them, until Ctrl-C. The stream resumes by itself after a dropped
 * connection (no message lost or repeated); if the hub goes away for good it exits 1.
 * A `--device`/`--module` the hub does not know is an error (exit 1) rather than a silent, empty
 * stream, and a closed stdout (`edgemu monitor | head`) ends the command quietly with 0, as
 * Unix filters do, instead of an EPIPE crash.
 */
export const registerMonitor: RegisterCommand = (program, ctx) => {
  program
    .command('monitor')
    .description('stream telemetry ($upstream messages with their properties) from the running hub until Ctrl-C')
    .addOption(new Option('--device <device>', 'only messages from this device'))
    .addOption(new Option('--module <module>', 'only messages from this module (of every device unless --device is given)'))
    .option('--json', 'print one JSON object per message (NDJSON)')
    .action(async (opts: { device?: string; module?: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const json = Boolean(opts.json || g.json);
      const { connectToRunningHub } = await import('../../service-api/index.js');
      const { formatTelemetryLine } = await import('../../service-api/index.js');
      const client = connectToRunningHub(g.stateDir);
      const logger = ctx.logger();
      // Stop on Ctrl-C, or when the reader of stdout went away (EPIPE is emitted asynchronously
      // on process.stdout; without a listener Node would crash with a stack trace).
      const stop = new AbortController();
      const onShutdown = () => stop.abort();
      ctx.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
      if (ctx.shutdownSignal.aborted) stop.abort();
      const onStdoutError = (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') stop.abort();
        else logger.error({ err: error.message }, 'cannot write to stdout');
      };
      process.stdout.on('error', onStdoutError);
      try {
        // A typo in the device or module id would otherwise stream nothing, forever: IoT Hub's
        // twin read answers 404 DeviceNotFound / ModuleNotFound for identities it does not have.
        if (opts.device !== undefined) await client.getTwin({ deviceId: opts.device, moduleId: opts.module });
        if (!json) ctx.err(`monitoring ${describeFilter(opts)} (Ctrl-C to stop)\n`);
        await client.streamEvents(
          { deviceId: opts.device, moduleId: opts.module },
          (event) => {
            if (!stop.signal.aborted) ctx.out(json ? `${JSON.stringify(event)}\n` : `${formatTelemetryLine(event)}\n`);
          },
          stop.signal,
          { onReconnect: (error) => logger.warn({ err: error.message }, 'telemetry stream dropped; reconnecting') },
        );
      } finally {
        process.stdout.off('error', onStdoutError);
        ctx.shutdownSignal.removeEventListener('abort', onShutdown);
        client.close();
      }
    });
};

/** What the monitor listens to, for its first line. */
export const describeFilter = (opts: { device?: string | undefined; module?: string | undefined }): string => {
  if (opts.device !== undefined) return `device ${opts.device}${opts.module !== undefined ? `/${opts.module}` : ''}`;
  if (opts.module !== undefined) return `module ${opts.module} of all devices`;
  return 'all devices';
};
