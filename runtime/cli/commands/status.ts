import { EdgemuError } from '../../errors.js';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu status --device D [--json]`: what the device's edge agent last reported — a table of
 * modules (desired, runtime status, restarts, exit code, since) or, with --json, the
 * `$edgeAgent` reported properties object as IoT Edge shapes it. Reads the state dir's store,
 * so it works whether or not `edgemu up` is running (then it shows the last report).
 */
export const registerStatus: RegisterCommand = (program, ctx) => {
  program
    .command('status')
    .description("show the modules of an edge device as its agent reported them ($edgeAgent reported properties)")
    .requiredOption('--device <device>', 'edge device id')
    .option('--json', 'print the $edgeAgent reported properties object')
    .action(async (opts: { device: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { openHubStore } = await import('../../hub/index.js');
      const { HUB_DB_FILE } = await import('../../hub/store/sqlite-db.js');
      const { renderStatusTable } = await import('../../agent/status-table.js');
      const { existsSync } = await import('node:fs');
      const path = await import('node:path');
      // A read-only command: opening the store would create an empty state dir where there is none.
      if (!existsSync(path.join(g.stateDir, HUB_DB_FILE))) {
        throw new EdgemuError('AGENT_NO_STATE', `no edgemu state in ${g.stateDir} (start it with \`edgemu up\`, or pass the --state-dir it uses)`);
      }
      const store = openHubStore({ stateDir: g.stateDir, logger: ctx.logger() });
      try {
        const device = store.identities.get({ deviceId: opts.device });
        if (!device) throw new EdgemuError('AGENT_DEVICE_NOT_FOUND', `device ${opts.device} does not exist in ${g.stateDir}`);
        if (!device.isEdge) throw new EdgemuError('AGENT_NOT_EDGE_DEVICE', `device ${opts.device} is not an IoT Edge device: it has no edge agent`);
        const twin = store.twins.get({ deviceId: opts.device, moduleId: '$edgeAgent' });
        const { $metadata: _m, $version: _v, ...reported } = (twin?.properties.reported ?? {}) as Record<string, unknown>;
        if (opts.json || g.json) ctx.out(`${JSON.stringify(reported, null, 2)}\n`);
        else ctx.out(renderStatusTable(opts.device, reported, twin?.properties.desired.$version));
      } finally {
        store.close();
      }
    });
};
