import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

const port = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${name} must be a port number 0-65535, got ${JSON.stringify(value)}`);
  return n;
};

/**
 * `edgemu hub`: runs the embedded IoT Hub (and what the server wires around it) in the
 * foreground until SIGINT/SIGTERM, then shuts down cleanly.
 */
export const registerHub: RegisterCommand = (program, ctx) => {
  program
    .command('hub')
    .description('run the embedded IoT Hub (MQTT over TLS for the Azure IoT SDKs) in the foreground until Ctrl-C')
    .addOption(new Option('--host <name...>', 'host names clients use (first = hub host name; added to the TLS certificate)'))
    .addOption(new Option('--mqtts-port <port>', 'MQTT over TLS port (0 = any free port)').argParser(port('--mqtts-port')).default(8883))
    .addOption(new Option('--amqps-port <port>', 'AMQP over TLS port (0 = any free port)').argParser(port('--amqps-port')).default(5671))
    .addOption(new Option('--https-port <port>', 'service API HTTPS port (0 = any free port)').argParser(port('--https-port')).default(8443))
    .addOption(new Option('--bind <address>', 'address to listen on').default('0.0.0.0'))
    .addOption(new Option('--limit <name=value...>', 'a limit against slow or greedy clients, e.g. writeBufferBytes=8388608 or service.maxConnections=4096 (docs/hub.md "Limits")'))
    .option('--json', 'print the startup summary as one JSON line')
    .action(async (opts: { host?: string[]; mqttsPort: number; amqpsPort: number; httpsPort: number; bind: string; limit?: string[]; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { parseLimitFlags } = await import('../limit-flags.js');
      const limits = parseLimitFlags(opts.limit);
      const path = await import('node:path');
      const { startServer } = await import('../../server/start-server.js');
      const logger = ctx.logger();
      const server = await startServer({
        stateDir: g.stateDir,
        ...(opts.host ? { hostNames: opts.host } : {}),
        mqttsPort: opts.mqttsPort,
        amqpsPort: opts.amqpsPort,
        httpsPort: opts.httpsPort,
        bindAddress: opts.bind,
        limits,
        logger,
      });
      const summary = {
        stateDir: path.resolve(g.stateDir),
        hostName: server.hub.hostName,
        mqttsPort: server.mqttsPort,
        amqpsPort: server.amqpsPort ?? null,
        httpsPort: server.httpsPort ?? null,
        webUrl: server.webUrl() ?? null,
        caFile: server.caFile,
        pid: process.pid,
      };
      if (opts.json || g.json) {
        ctx.out(`${JSON.stringify(summary)}\n`);
      } else {
        ctx.out(`edgemu hub running (pid ${process.pid})\n`);
        ctx.out(`  MQTT over TLS  ${summary.hostName}:${summary.mqttsPort}\n`);
        ctx.out(`  AMQP over TLS  ${summary.hostName}:${summary.amqpsPort}\n`);
        ctx.out(`  service API    ${summary.httpsPort === null ? 'not available yet' : `https://${summary.hostName}:${summary.httpsPort}`}\n`);
        if (summary.webUrl) ctx.out(`  web view       ${summary.webUrl}\n`);
        ctx.out(`  CA certificate ${summary.caFile}\n`);
        ctx.out(`  state dir      ${summary.stateDir}\n`);
        ctx.out(`connection strings: edgemu connection-string --state-dir ${g.stateDir} [--device D [--module M]]\n`);
      }
      if (!ctx.shutdownSignal.aborted) {
        await new Promise<void>((resolve) => ctx.shutdownSignal.addEventListener('abort', () => resolve(), { once: true }));
      }
      logger.info('shutting down');
      await server.close();
      ctx.out('edgemu hub stopped\n');
    });
};
