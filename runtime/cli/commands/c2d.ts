import { Option } from 'commander';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `edgemu c2d send D BODY [--property k=v]…`: queues a cloud-to-device message for a device in
 * the running hub (delivered at once when the device listens, otherwise when it connects).
 */
export const registerC2d: RegisterCommand = (program, ctx) => {
  const c2d = program.command('c2d').description('cloud-to-device messages');
  c2d
    .command('send')
    .description('queue a cloud-to-device message for a device')
    .argument('<device>', 'device id')
    .argument('<body>', 'message body (text)')
    .addOption(new Option('--property <key=value>', 'application property (repeatable)').argParser(collect))
    .addOption(new Option('--message-id <id>', 'message id (default: a new UUID)'))
    .addOption(new Option('--correlation-id <id>', 'correlation id'))
    .addOption(new Option('--ttl <seconds>', 'time to live in seconds (default 3600, at most 172800)'))
    .option('--json', 'print {"messageId":…,"enqueuedTime":…} as JSON')
    .action(async (deviceId: string, body: string, opts: { property?: string[]; messageId?: string; correlationId?: string; ttl?: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { parseProperties } = await import('../../service-api/index.js');
      const { UsageError } = await import('../../errors.js');
      const properties = parseProperties(opts.property ?? []);
      let ttlSeconds: number | undefined;
      if (opts.ttl !== undefined) {
        ttlSeconds = Number(opts.ttl);
        if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > 172800) throw new UsageError(`--ttl must be 1 to 172800 seconds, got ${JSON.stringify(opts.ttl)}`);
      }
      const { connectToRunningHub } = await import('../../service-api/index.js');
      const client = connectToRunningHub(g.stateDir);
      try {
        const queued = await client.sendC2d(deviceId, body, {
          properties,
          ...(opts.messageId ? { messageId: opts.messageId } : {}),
          ...(opts.correlationId ? { correlationId: opts.correlationId } : {}),
          ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
        });
        if (opts.json || g.json) ctx.out(`${JSON.stringify(queued)}\n`);
        else ctx.out(`queued message ${queued.messageId} for ${deviceId}\n`);
      } finally {
        client.close();
      }
    });
};
