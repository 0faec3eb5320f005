import { UsageError } from '../../errors.js';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu connection-string [--device D [--module M]]`: prints a connection string the Azure
 * SDKs accept as is (the service one without --device). Host and ports come from the running
 * hub (DIR/hub.json, keys through its service API), else from the last hub start recorded in the
 * store (read offline), else the defaults.
 */
export const registerConnectionString: RegisterCommand = (program, ctx) => {
  program
    .command('connection-string')
    .description('print the connection string of a device or module, or (without --device) the service connection string')
    .option('--device <device>', 'device id')
    .option('--module <module>', 'module id (needs --device)')
    .option('--json', 'print {connectionString, hostName, mqttsPort, httpsPort, caFile}')
    .action(async (opts: { device?: string; module?: string; json?: boolean }, cmd) => {
      if (opts.module && !opts.device) throw new UsageError('--module needs --device');
      const g = globalOptions(cmd);
      const path = await import('node:path');
      const { openHubAdmin } = await import('../../service-api/index.js');
      const admin = openHubAdmin(g.stateDir, { logger: ctx.logger() });
      try {
        const address = await admin.address();
        const connectionString = opts.device
          ? await admin.deviceConnectionString({ deviceId: opts.device, moduleId: opts.module }, address)
          : await admin.serviceConnectionString(address);
        if (opts.json || g.json) {
          const caFile = path.resolve(g.stateDir, 'ca.pem');
          ctx.out(`${JSON.stringify({ connectionString, ...address, caFile }, null, 2)}\n`);
        } else {
          ctx.out(`${connectionString}\n`);
        }
      } finally {
        admin.close();
      }
    });
};
