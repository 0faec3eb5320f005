import type { Command } from 'commander';
import type { RegisterCommand } from '../cli-context.js';
import { globalOptions } from '../cli-context.js';
import { UsageError } from '../../errors.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `edgemu route check|test|queues`: check route syntax the way edgeHub compiles it, try a
 * route against a sample message, and list the store-and-forward queues of a state dir.
 */
export const registerRoute: RegisterCommand = (program, ctx) => {
  const route = program.command('route').description('edgeHub routes: check syntax, try a route on a message, show store-and-forward queues');

  route
    .command('check')
    .description('parse routes as edgeHub does; shows where each invalid one breaks')
    .argument('<route...>', 'route texts, e.g. "FROM /messages/* WHERE $body.t > 30 INTO $upstream"')
    .option('--json', 'print one JSON result per route')
    .addHelpText('after', ['', 'Exit code 1 if any route is invalid.', '', 'Example:', `  edgemu route check 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/filter/inputs/input1")'`].join('\n'))
    .action(async (routes: string[], _opts: unknown, command: Command) => {
      const { json } = globalOptions(command);
      const { parseRoute, formatRouteError } = await import('../../route-language/index.js');
      const results = routes.map((text) => ({ text, result: parseRoute(text) }));
      if (json) {
        ctx.out(`${JSON.stringify(results.map(({ text, result }) => (result.ok ? { route: text, valid: true, source: result.route.source, sink: result.route.sink } : { route: text, valid: false, error: result.error })), null, 2)}\n`);
      } else {
        for (const { text, result } of results) {
          if (result.ok) ctx.out(`valid: ${text}\n`);
          else ctx.out(`invalid: ${text}\n${formatRouteError(text, result.error)}`);
        }
      }
      if (results.some((r) => !r.result.ok)) ctx.setExitCode(1);
    });

  route
    .command('test')
    .description('evaluate one route against a sample message (source, condition, sink)')
    .argument('<route>', 'the route text')
    .option('--from <id>', 'sender: <device> (leaf device) or <device>/<module>', 'edge-1/sensor')
    .option('--output <name>', 'module output the message is sent on ($outputName)')
    .option('--body <json>', 'message body (JSON text)', '')
    .option('--content-type <type>', 'system property $contentType', 'application/json')
    .option('--content-encoding <enc>', 'system property $contentEncoding', 'utf-8')
    .option('--property <name=value>', 'application property (repeatable)', collect, [])
    .option('--system <name=value>', 'other system property by its condition name, e.g. messageId=m1 (repeatable)', collect, [])
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      ['', 'Example:', `  edgemu route test 'FROM /messages/modules/sensor/* WHERE $body.t > 30 INTO $upstream' --body '{"t":31}'`].join('\n'),
    )
    .action(async (text: string, opts: { from: string; output?: string; body: string; contentType: string; contentEncoding: string; property: string[]; system: string[] }, command: Command) => {
      const { json } = globalOptions(command);
      const { parseRoute, formatRouteError, parsePairs, evaluateCondition, messageSourcePath, sourceMatches } = await import('../../route-language/index.js');
      const parts = opts.from.split('/');
      if (parts.length > 2 || parts.some((p) => p === '')) throw new UsageError(`--from must be <device> or <device>/<module>, got ${JSON.stringify(opts.from)}`);
      let properties: Record<string, string>;
      let system: Record<string, string>;
      try {
        properties = parsePairs(opts.property, '--property');
        system = parsePairs(opts.system, '--system');
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const parsed = parseRoute(text);
      if (!parsed.ok) {
        ctx.out(json ? `${JSON.stringify({ valid: false, error: parsed.error }, null, 2)}\n` : formatRouteError(text, parsed.error));
        ctx.setExitCode(1);
        return;
      }
      const systemProperties: Record<string, string> = {
        ...system,
        contentType: opts.contentType,
        contentEncoding: opts.contentEncoding,
        connectionDeviceId: parts[0] as string,
        ...(parts[1] ? { connectionModuleId: parts[1] } : {}),
        ...(opts.output && parts[1] ? { outputName: opts.output } : {}),
      };
      const message = { body: Buffer.from(opts.body), properties, systemProperties };
      const source = messageSourcePath(message);
      const sourceMatch = sourceMatches(parsed.route.sourcePrefix, source);
      const conditionMatch = evaluateCondition(parsed.route.condition, message);
      const sink = parsed.route.sink.kind === 'upstream' ? '$upstream' : `BrokeredEndpoint("/modules/${parsed.route.sink.moduleId}/inputs/${parsed.route.sink.inputName}")`;
      const matches = sourceMatch && conditionMatch;
      if (json) {
        ctx.out(`${JSON.stringify({ valid: true, matches, messageSource: source, sourceMatches: sourceMatch, conditionMatches: conditionMatch, sink }, null, 2)}\n`);
      } else {
        ctx.out(`message source ${source}: ${sourceMatch ? 'matches' : `does not match ${parsed.route.source}`}\n`);
        ctx.out(`condition: ${parsed.route.condition === undefined ? 'none (true)' : conditionMatch ? 'true' : 'not true'}\n`);
        ctx.out(matches ? `routed to ${sink}\n` : 'not routed\n');
      }
    });

  route
    .command('queues')
    .description('messages waiting in store-and-forward, per module (reads DIR/routing.db; works while the hub runs)')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, command: Command) => {
      const { json, stateDir } = globalOptions(command);
      const { existsSync } = await import('node:fs');
      const path = await import('node:path');
      const { RouteQueueStore, ROUTING_DB_FILE } = await import('../../routing/index.js');
      const rows: Array<{ deviceId: string; moduleId: string; waiting: number }> = [];
      if (existsSync(path.join(stateDir, ROUTING_DB_FILE))) {
        const store = new RouteQueueStore(stateDir);
        try {
          for (const t of store.targets()) rows.push({ ...t, waiting: store.count(t) });
        } finally {
          store.close();
        }
      }
      if (json) ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
      else if (rows.length === 0) ctx.out('no messages waiting\n');
      else for (const r of rows) ctx.out(`${r.deviceId}/${r.moduleId}: ${r.waiting} waiting\n`);
    });
};
