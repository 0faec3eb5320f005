import { Option } from 'commander';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu identity create|list|delete`: the identity registry of the state dir. With a hub
 * running there it goes through the service API (IoT Hub's identity REST routes), else it
 * administers the store offline (service-api/hub-admin.ts; docs/architecture.md).
 */
export const registerIdentity: RegisterCommand = (program, ctx) => {
  const identity = program.command('identity').description('create, list and delete device and module identities');

  identity
    .command('create')
    .description('create a device (with --edge: an IoT Edge device with $edgeAgent and $edgeHub), or with --module a module of it')
    .argument('<device>', 'device id')
    .option('--edge', 'mark the device as an IoT Edge device')
    .option('--module <module>', 'create this module identity (the device is created first when missing)')
    .option('--json', 'print the created identities as JSON')
    .action(async (deviceId: string, opts: { edge?: boolean; module?: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { openHubAdmin } = await import('../../service-api/index.js');
      const admin = openHubAdmin(g.stateDir, { logger: ctx.logger() });
      try {
        const created = await admin.createIdentities(deviceId, { edge: Boolean(opts.edge), moduleId: opts.module });
        const address = await admin.address();
        if (opts.json || g.json) {
          const withStrings = [];
          for (const i of created) withStrings.push({ ...i, connectionString: await admin.deviceConnectionString(i, address) });
          ctx.out(`${JSON.stringify(withStrings, null, 2)}\n`);
        } else {
          for (const i of created) {
            ctx.out(`created ${i.moduleId ? `module ${i.deviceId}/${i.moduleId}` : `${i.isEdge ? 'IoT Edge device' : 'device'} ${i.deviceId}`}\n`);
          }
          const main = opts.module ? created.at(-1)! : created[0]!;
          ctx.out(`connection string: ${await admin.deviceConnectionString(main, address)}\n`);
        }
      } finally {
        admin.close();
      }
    });

  identity
    .command('list')
    .description('list devices and modules')
    .option('--device <device>', 'only this device and its modules')
    .option('--json', 'print JSON (includes keys)')
    .action(async (opts: { device?: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { openHubAdmin } = await import('../../service-api/index.js');
      const admin = openHubAdmin(g.stateDir, { logger: ctx.logger() });
      try {
        const list = await admin.listIdentities(opts.device);
        if (opts.json || g.json) {
          ctx.out(`${JSON.stringify(list, null, 2)}\n`);
          return;
        }
        if (list.length === 0) {
          ctx.out('no identities\n');
          return;
        }
        const rows = list.map((i) => [i.moduleId ? `${i.deviceId}/${i.moduleId}` : i.deviceId, i.moduleId ? 'module' : i.isEdge ? 'edge device' : 'device', i.createdTime]);
        const width = Math.max(8, ...rows.map((r) => r[0]!.length));
        ctx.out(`${'IDENTITY'.padEnd(width)}  ${'KIND'.padEnd(11)}  CREATED\n`);
        for (const r of rows) ctx.out(`${r[0]!.padEnd(width)}  ${r[1]!.padEnd(11)}  ${r[2]}\n`);
      } finally {
        admin.close();
      }
    });

  identity
    .command('delete')
    .description('delete a device (with its modules, twins and queued messages) or, with --module, one module')
    .argument('<device>', 'device id')
    .addOption(new Option('--module <module>', 'delete only this module'))
    .action(async (deviceId: string, opts: { module?: string }, cmd) => {
      const g = globalOptions(cmd);
      const { openHubAdmin } = await import('../../service-api/index.js');
      const admin = openHubAdmin(g.stateDir, { logger: ctx.logger() });
      try {
        await admin.deleteIdentity({ deviceId, moduleId: opts.module });
        ctx.out(`deleted ${opts.module ? `module ${deviceId}/${opts.module}` : `device ${deviceId}`}\n`);
      } finally {
        admin.close();
      }
    });
};
