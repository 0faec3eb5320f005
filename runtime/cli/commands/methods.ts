import { Option } from 'commander';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu methods invoke D [--module M] NAME [PAYLOAD] [--timeout S] [--connect-timeout S]`: calls a direct method on
 * a connected device or module and prints its status and payload. Exit 1 when the device
 * answers with a status ≥ 400, is not connected (404) or does not answer in time (504).
 */
export const registerMethods: RegisterCommand = (program, ctx) => {
  const methods = program.command('methods').description('invoke direct methods on connected devices and modules');
  methods
    .command('invoke')
    .description('invoke a direct method and print the status and payload the device answered')
    .argument('<device>', 'device id')
    .argument('<name>', 'method name')
    .argument('[payload]', 'JSON payload (or @file); default null')
    .addOption(new Option('--module <module>', 'invoke the method on this module'))
    .addOption(new Option('--timeout <seconds>', 'how long the device has to answer (1-300)').default('30'))
    .addOption(new Option('--connect-timeout <seconds>', 'how long to wait for an offline device or module to connect (0-300)').default('0'))
    .option('--json', 'print {"status":…,"payload":…} as JSON')
    .action(async (deviceId: string, name: string, payloadText: string | undefined, opts: { module?: string; timeout: string; connectTimeout: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { parseJsonArgument, parseTimeoutSeconds } = await import('../../service-api/index.js');
      const timeout = parseTimeoutSeconds(opts.timeout);
      const connectTimeout = parseTimeoutSeconds(opts.connectTimeout, '--connect-timeout', 0);
      const payload = payloadText === undefined ? null : parseJsonArgument('PAYLOAD', payloadText);
      const { connectToRunningHub } = await import('../../service-api/index.js');
      const client = connectToRunningHub(g.stateDir);
      try {
        const result = await client.invokeMethod({ deviceId, moduleId: opts.module }, name, payload, timeout, connectTimeout);
        if (opts.json || g.json) ctx.out(`${JSON.stringify(result)}\n`);
        else ctx.out(`status ${result.status}\n${JSON.stringify(result.payload, null, 2)}\n`);
        if (result.status >= 400) ctx.setExitCode(1);
      } finally {
        client.close();
      }
    });
};
