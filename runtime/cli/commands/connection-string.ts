import { UsageError } from '../../errors.js';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu connection-string [--device D [--module M]] [--amqp] [--event-hubs]`: prints a
 * connection string the Azure SDKs accept as is (the service one without --device; with
 * `--amqp` the HostName carries the AMQP port, for AMQP transports when it is not 5671; with
 * `--event-hubs` the built-in Event Hubs-compatible endpoint's, docs/hub.md "AMQP"). Host and ports come from the running
 * hub (DIR/hub.json, keys through its service API), else from the last hub start recorded in the
 * store (read offline), else the defaults.
 */
export const registerConnectionString: RegisterCommand = (program, ctx) => {
  program
    .command('connection-string')
    .description('print the connection string of a device or module, or (without --device) the service connection string')
    .option('--device <device>', 'device id')
    .option('--module <module>', 'module id (needs --device)')
    .option('--amqp', 'for AMQP clients: HostName carries the AMQP port (when not 5671)')
    .option('--event-hubs', "the Event Hubs-compatible endpoint's connection string (for @azure/event-hubs, Functions, Stream Analytics)")
    .option('--json', 'print {connectionString, hostName, mqttsPort, amqpsPort, httpsPort, caFile}')
    .action(async (opts: { device?: string; module?: string; amqp?: boolean; eventHubs?: boolean; json?: boolean }, cmd) => {
      if (opts.module && !opts.device) throw new UsageError('--module needs --device');
      if (opts.eventHubs && opts.device) throw new UsageError('--event-hubs prints the service-side endpoint; leave out --device');
      const g = globalOptions(cmd);
      const path = await import('node:path');
      const { openHubAdmin } = await import('../../service-api/index.js');
      const hub = await import('../../hub/index.js');
      const admin = openHubAdmin(g.stateDir, { logger: ctx.logger() });
      try {
        const address = await admin.address();
        let connectionString = opts.device
          ? await admin.deviceConnectionString({ deviceId: opts.device, moduleId: opts.module }, address)
          : await admin.serviceConnectionString(address);
        const amqpHost = hub.hostWithPort(address.hostName, address.amqpsPort, hub.DEFAULT_AMQPS_PORT);
        if (opts.eventHubs) {
          const fields = hub.parseConnectionString(connectionString);
          connectionString = hub.formatEventHubsConnectionString({
            hostName: address.hostName,
            amqpsPort: address.amqpsPort,
            policyName: fields.SharedAccessKeyName ?? 'iothubowner',
            key: fields.SharedAccessKey,
            entity: hub.eventHubName(address.hostName),
          });
        } else if (opts.amqp) {
          connectionString = connectionString.replace(/^HostName=[^;]*/, `HostName=${amqpHost}`);
        }
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
