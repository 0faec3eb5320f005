import { InvalidArgumentError, Option } from 'commander';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu query "SELECT …" [--json] [--max N]`: IoT Hub's twin query language (docs/query.md) over
 * the state dir's twins — through the running hub's `POST /devices/query` when one runs there,
 * else on the store offline — paging until every item (or `--max` items) arrived.
 */
export const registerQuery: RegisterCommand = (program, ctx) => {
  program
    .command('query')
    .description("run an IoT Hub twin query, e.g. \"SELECT * FROM devices WHERE tags.env = 'prod'\" (docs/query.md)")
    .argument('<query>', 'the query text: SELECT … FROM devices | devices.modules [WHERE …] [GROUP BY …]')
    .addOption(new Option('--max <n>', 'stop after this many items').argParser(positiveInt))
    .option('--json', 'print the items as a JSON array')
    .action(async (text: string, opts: { max?: number; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { openHubAdmin } = await import('../../service-api/index.js');
      const { formatQueryTable, MAX_PAGE_SIZE } = await import('../../query/index.js');
      const admin = openHubAdmin(g.stateDir, { logger: ctx.logger(), mustExist: true });
      try {
        const items: unknown[] = [];
        let itemType = 'raw';
        let continuation: string | undefined;
        const limit = opts.max ?? Number.POSITIVE_INFINITY;
        do {
          const page = await admin.query(text, { maxItemCount: Math.min(MAX_PAGE_SIZE, limit - items.length), continuation });
          itemType = page.itemType;
          items.push(...page.items.slice(0, limit - items.length));
          continuation = page.continuation;
        } while (continuation && items.length < limit);
        ctx.out(opts.json || g.json ? `${JSON.stringify(items, null, 2)}\n` : formatQueryTable(itemType, items));
      } finally {
        admin.close();
      }
    });
};

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('a whole number of 1 or more');
  return n;
}
