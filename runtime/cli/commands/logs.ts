import { Option } from 'commander';
import { EdgemuError, UsageError } from '../../errors.js';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

interface LogsOptions {
  device?: string;
  tail?: string;
  since?: string;
  until?: string;
  loglevel?: string;
  regex?: string;
  follow?: boolean;
  previous?: boolean;
  json?: boolean;
}

/** A regex that matches exactly one module name (GetModuleLogs ids are unanchored regexes). */
const exactId = (name: string) => `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;

/**
 * `edgemu logs MODULE --device D [--tail N] [--since T] [--until T] [--loglevel N] [--regex R]
 * [--follow] [--previous] [--json]`: a module's log, like `iotedge logs`
 * (learn.microsoft.com/azure/iot-edge/troubleshoot, "Check container logs"). A module that
 * `edgemu module run` runs: that process's output (kept under the state dir). Otherwise through
 * the running hub: the `$edgeAgent` GetModuleLogs direct method (gzip, so one answer carries up to
 * 127,000 compressed bytes), which reads the pod's log from the cluster; a module on the simulated
 * pool has none and the command says so (exit 1). `--follow` asks again every second for lines
 * since the last one.
 */
export const registerLogs: RegisterCommand = (program, ctx) => {
  program
    .command('logs')
    .description("print a module's log (its pod's container log, or the output of `edgemu module run`)")
    .argument('<module>', 'module name as in the deployment')
    .requiredOption('--device <device>', 'edge device id')
    .option('--tail <n>', 'only the last N lines')
    .option('--since <time>', 'only lines since Unix seconds, an RFC 3339 time or a duration such as 10m, 1h, "2 days"')
    .option('--until <time>', 'only lines until (same forms as --since)')
    .option('--loglevel <n>', 'only lines of this syslog severity (0-7, from <N> prefixes; unprefixed lines count as 6)')
    .option('--regex <re>', 'only lines whose text matches (RE2 syntax)')
    .addOption(new Option('-f, --follow', 'keep printing new lines until Ctrl-C'))
    .option('--previous', "the previous container's log (after a restart)")
    .option('--json', 'print edgeAgent log messages as JSON lines')
    .action(async (moduleId: string, opts: LogsOptions, cmd) => {
      const g = globalOptions(cmd);
      const deviceId = opts.device!;
      const { parseLogsRequest } = await import('../../agent/index.js');
      const filter = {
        ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
        ...(opts.until !== undefined ? { until: opts.until } : {}),
        ...(opts.loglevel !== undefined ? { loglevel: opts.loglevel } : {}),
        ...(opts.regex !== undefined ? { regex: opts.regex } : {}),
        ...(opts.previous ? { previous: true } : {}),
      };
      const request = (extra: Record<string, unknown> = {}) => ({ schemaVersion: '1.0', items: [{ id: exactId(moduleId), filter: { ...filter, ...extra } }], encoding: 'gzip', contentType: 'json' });
      // The same checks GetModuleLogs makes, before anything is asked: a bad flag is a usage error.
      try {
        parseLogsRequest(request(), Date.now());
      } catch (error) {
        throw new UsageError(`${(error as Error).message.replace(/^items\[0\]\.filter\./, '--')}`);
      }
      const print = (messages: ReadonlyArray<{ loglevel: number; text: string; timestamp: string | null; moduleId: string }>) => {
        for (const m of messages) ctx.out(opts.json || g.json ? `${JSON.stringify(m)}\n` : `<${m.loglevel}> ${m.timestamp ?? ''} ${m.text}\n`);
      };
      const source = await logSource(g.stateDir, deviceId, moduleId, opts.previous === true);
      let last: { timestamp: string; seen: Set<string> } | undefined;
      const fresh = (messages: Array<{ loglevel: number; text: string; timestamp: string | null; moduleId: string }>) => {
        const out = messages.filter((m) => !last || (m.timestamp ?? '') > last.timestamp || ((m.timestamp ?? '') === last.timestamp && !last.seen.has(m.text)));
        for (const m of out) {
          const ts = m.timestamp ?? '';
          if (!last || ts > last.timestamp) last = { timestamp: ts, seen: new Set() };
          last.seen.add(m.text);
        }
        return out;
      };
      try {
        print(fresh(await source.read(request())));
        while (opts.follow && !ctx.shutdownSignal.aborted) {
          await new Promise((r) => setTimeout(r, 1_000));
          const since = last?.timestamp ? Math.floor(Date.parse(last.timestamp) / 1000) : undefined;
          print(fresh(await source.read(request({ tail: undefined, ...(since !== undefined ? { since } : {}) }))));
        }
      } finally {
        source.close();
      }
    });
};

interface LogMessage {
  loglevel: number;
  text: string;
  timestamp: string | null;
  moduleId: string;
}

interface LogSource {
  read(request: Record<string, unknown>): Promise<LogMessage[]>;
  close(): void;
}

/** `module run`'s output when it runs the module, else GetModuleLogs through the running hub. */
async function logSource(stateDir: string, deviceId: string, moduleId: string, previous: boolean): Promise<LogSource> {
  const { hostModuleLogPaths, readRunningHostModuleLog } = await import('../../module-run/index.js');
  const { parseLogsRequest, parseModuleLog, filterModuleLog, renderModuleLog } = await import('../../agent/index.js');
  const paths = hostModuleLogPaths(stateDir, deviceId, moduleId);
  if (readRunningHostModuleLog(paths) !== undefined) {
    return {
      async read(request) {
        const text = readRunningHostModuleLog(paths, previous) ?? '';
        const [item] = parseLogsRequest(request, Date.now()).items;
        const lines = filterModuleLog(parseModuleLog(text), item!.filter);
        return JSON.parse(renderModuleLog(lines, moduleId, { iothub: 'localhost', device: deviceId }, 'json')) as LogMessage[];
      },
      close: () => undefined,
    };
  }
  const { connectToRunningHub } = await import('../../service-api/index.js');
  const { gunzipSync } = await import('node:zlib');
  const client = connectToRunningHub(stateDir);
  return {
    async read(request) {
      const result = await client.invokeMethod({ deviceId, moduleId: '$edgeAgent' }, 'GetModuleLogs', request, 30, 5);
      const message = (result.payload as { message?: string } | null)?.message;
      if (result.status !== 200) throw new LogsUnavailableError(`GetModuleLogs answered ${result.status}: ${message ?? JSON.stringify(result.payload)}`);
      const items = result.payload as Array<{ id: string; payloadBytes?: string; error?: string }>;
      const item = items.find((i) => i.id === moduleId);
      if (!item) throw new LogsUnavailableError(`module ${moduleId} is not deployed to ${deviceId} (edgemu status --device ${deviceId} lists its modules)`);
      if (item.error !== undefined) throw new LogsUnavailableError(item.error);
      return JSON.parse(gunzipSync(Buffer.from(item.payloadBytes ?? '', 'base64')).toString('utf8')) as LogMessage[];
    },
    close: () => client.close(),
  };
}

/** The module has no log to show (not deployed, simulated pool, agent refused): exit 1 with the reason. */
class LogsUnavailableError extends EdgemuError {
  constructor(message: string) {
    super('CLI_LOGS_UNAVAILABLE', message);
  }
}
