import { strToU8, zipSync, type Zippable } from 'fflate';
import { describeError } from '../../errors.js';
import type { AgentMethodContext } from './agent-method.js';

/**
 * The support bundle UploadSupportBundle uploads: a zip in the spirit of `iotedge support-bundle`
 * (learn.microsoft.com/azure/iot-edge/troubleshoot#gather-debug-information-with-support-bundle-command),
 * with what edgemu knows about one device:
 *
 * | entry | content |
 * | --- | --- |
 * | `bundle.json` | device, creation time, since/until, edgeRuntimeOnly, the entries, and every part that could not be read with the reason |
 * | `logs/<module>.log` | the module's container log (`timestamps=true` lines) |
 * | `logs/<module>.unavailable.txt` | instead, when the module has no log (simulated pool, not started, …): why |
 * | `twins/edgeAgent.json`, `twins/edgeHub.json` | the `$edgeAgent` and `$edgeHub` twins |
 * | `status.txt` | the `edgemu status --device <device>` table |
 * | `cluster/events.json` | the Kubernetes events of the device namespace |
 */

/** What the bundle needs beyond the method context; each may throw, the bundle then says why that part is missing. */
export interface SupportBundleSources {
  /** The twin of `<deviceId>/<moduleId>` (`$edgeAgent`, `$edgeHub`) as the service API shows it; undefined when it does not exist. */
  twin(deviceId: string, moduleId: string): Promise<unknown>;
  /** The `edgemu status --device <deviceId>` table, as text. */
  statusTable(deviceId: string): Promise<string>;
  /** The Kubernetes events (core/v1 Event objects) of the device's namespace. */
  clusterEvents(deviceId: string): Promise<unknown[]>;
}

export interface SupportBundleContent {
  deviceId: string;
  createdAt: string;
  since?: number;
  until?: number;
  edgeRuntimeOnly: boolean;
  moduleLogs: Array<{ moduleId: string; text: string } | { moduleId: string; unavailable: string }>;
  twins: Record<'edgeAgent' | 'edgeHub', unknown>;
  statusTable: string | undefined;
  clusterEvents: unknown[] | undefined;
  /** Parts that could not be read: `{part, reason}`. */
  problems: Array<{ part: string; reason: string }>;
}

/** edgeAgent and edgeHub: the runtime modules `edgeRuntimeOnly` keeps. */
const RUNTIME_MODULES = new Set(['edgeagent', 'edgehub', '$edgeagent', '$edgehub']);

/** Builds the zip. Pure: same content, same entries (times inside the zip come from `createdAt`). */
export function buildSupportBundle(content: SupportBundleContent): Uint8Array {
  const mtime = new Date(content.createdAt);
  const files: Zippable = {};
  const put = (name: string, text: string) => {
    files[name] = [strToU8(text), { mtime }];
  };
  for (const log of content.moduleLogs) {
    if ('text' in log) put(`logs/${safeName(log.moduleId)}.log`, log.text);
    else put(`logs/${safeName(log.moduleId)}.unavailable.txt`, `${log.unavailable}\n`);
  }
  put('twins/edgeAgent.json', `${JSON.stringify(content.twins.edgeAgent ?? null, null, 2)}\n`);
  put('twins/edgeHub.json', `${JSON.stringify(content.twins.edgeHub ?? null, null, 2)}\n`);
  if (content.statusTable !== undefined) put('status.txt', content.statusTable);
  if (content.clusterEvents !== undefined) put('cluster/events.json', `${JSON.stringify(content.clusterEvents, null, 2)}\n`);
  const manifest = {
    deviceId: content.deviceId,
    createdAt: content.createdAt,
    ...(content.since !== undefined ? { since: content.since } : {}),
    ...(content.until !== undefined ? { until: content.until } : {}),
    edgeRuntimeOnly: content.edgeRuntimeOnly,
    entries: ['bundle.json', ...Object.keys(files)],
    problems: content.problems,
  };
  put('bundle.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return zipSync(files, { level: 6 });
}

/** Gathers every part (a part that fails is recorded, never fatal) and builds the zip. */
export async function collectSupportBundle(
  ctx: AgentMethodContext,
  sources: SupportBundleSources,
  request: { since?: number; until?: number; edgeRuntimeOnly: boolean },
): Promise<Uint8Array> {
  const problems: SupportBundleContent['problems'] = [];
  const attempt = async <T>(part: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      problems.push({ part, reason: describeError(error) });
      return undefined;
    }
  };
  const names = (await attempt('module list', () => ctx.moduleNames())) ?? [];
  const selected = request.edgeRuntimeOnly ? names.filter((n) => RUNTIME_MODULES.has(n.toLowerCase())) : names;
  const query = { ...(request.since !== undefined ? { since: request.since } : {}), ...(request.until !== undefined ? { until: request.until } : {}) };
  const moduleLogs = await Promise.all(
    selected.map(async (moduleId) => {
      try {
        return { moduleId, text: (await ctx.readModuleLog(moduleId, query)).text };
      } catch (error) {
        return { moduleId, unavailable: describeError(error) };
      }
    }),
  );
  const [edgeAgent, edgeHub, statusTable, clusterEvents] = await Promise.all([
    attempt('twins/edgeAgent.json', () => sources.twin(ctx.deviceId, '$edgeAgent')),
    attempt('twins/edgeHub.json', () => sources.twin(ctx.deviceId, '$edgeHub')),
    attempt('status.txt', () => sources.statusTable(ctx.deviceId)),
    attempt('cluster/events.json', () => sources.clusterEvents(ctx.deviceId)),
  ]);
  return buildSupportBundle({
    deviceId: ctx.deviceId,
    createdAt: new Date(ctx.clock.now()).toISOString(),
    ...query,
    edgeRuntimeOnly: request.edgeRuntimeOnly,
    moduleLogs,
    twins: { edgeAgent, edgeHub },
    statusTable,
    clusterEvents,
    problems,
  });
}

/** A module name as a zip entry name (IoT Edge module names are `[A-Za-z0-9_-]`, but never trust one). */
function safeName(moduleId: string): string {
  return moduleId.replace(/[^A-Za-z0-9_.$-]/g, '_').replace(/^\.+/, '_');
}
