import { Option } from 'commander';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu twin get|patch`: reads or patches a device or module twin of the running hub through
 * its service API (the same path the azure-iothub SDK uses), so a connected client gets the
 * desired patch at once.
 */
export const registerTwin: RegisterCommand = (program, ctx) => {
  const twin = program.command('twin').description('read and patch device and module twins of the running hub');

  twin
    .command('get')
    .description('print a device twin, or a module twin with --module')
    .argument('<device>', 'device id')
    .addOption(new Option('--module <module>', 'the module whose twin to read'))
    .option('--json', 'print compact JSON on one line')
    .action(async (deviceId: string, opts: { module?: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { connectToRunningHub } = await import('../../service-api/index.js');
      const client = connectToRunningHub(g.stateDir);
      try {
        const result = await client.getTwin({ deviceId, moduleId: opts.module });
        ctx.out(`${opts.json || g.json ? JSON.stringify(result) : JSON.stringify(result, null, 2)}\n`);
      } finally {
        client.close();
      }
    });

  twin
    .command('patch')
    .description('merge a patch into a twin: JSON desired properties, or {"properties":{"desired":…},"tags":…}; null removes a key')
    .argument('<device>', 'device id')
    .argument('<json>', "the patch as JSON, or @file (e.g. '{\"interval\":5}')")
    .addOption(new Option('--module <module>', 'patch this module twin'))
    .addOption(new Option('--etag <etag>', 'only apply when the twin still has this ETag (412 otherwise)'))
    .option('--json', 'print the patched twin as JSON')
    .action(async (deviceId: string, patchText: string, opts: { module?: string; etag?: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { parseJsonArgument, toTwinPatch } = await import('../../service-api/index.js');
      const patch = toTwinPatch(parseJsonArgument('the twin patch', patchText));
      const { connectToRunningHub } = await import('../../service-api/index.js');
      const client = connectToRunningHub(g.stateDir);
      try {
        const result = await client.patchTwin({ deviceId, moduleId: opts.module }, patch, opts.etag ?? '*');
        if (opts.json || g.json) {
          ctx.out(`${JSON.stringify(result)}\n`);
        } else {
          const name = opts.module ? `${deviceId}/${opts.module}` : deviceId;
          ctx.out(`patched twin of ${name}: desired $version ${result.properties.desired.$version}, etag ${result.etag}\n`);
        }
      } finally {
        client.close();
      }
    });
};
