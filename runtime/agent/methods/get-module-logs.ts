import { describeError } from '../../errors.js';
import type { AgentMethodHandler, ModuleLogQuery } from './agent-method.js';
import { parseLogsRequest, selectLogModules, type LogsRequestItem } from './logs-request.js';
import { encodeLogsResponse, renderModuleLog } from './logs-response.js';
import { MethodFailedError } from './method-request.js';
import { filterModuleLog, parseModuleLog } from './module-log-lines.js';

/**
 * What to ask the cluster for: the time window and, when no later filter could drop lines,
 * the tail (edgeAgent gives tail to Docker the same way); the rest is filtered here.
 */
export function logQueryFor(item: LogsRequestItem): ModuleLogQuery {
  const { filter } = item;
  const tailIsFinal = filter.loglevel === undefined && filter.regex === undefined && filter.until === undefined;
  return {
    ...(filter.since !== undefined ? { since: Math.floor(filter.since) } : {}),
    ...(filter.until !== undefined ? { until: filter.until } : {}),
    ...(tailIsFinal && filter.tail !== undefined ? { tail: filter.tail } : {}),
    ...(item.previous ? { previous: true } : {}),
  };
}

/**
 * `GetModuleLogs` (learn.microsoft.com/azure/iot-edge/how-to-retrieve-iot-edge-logs): the logs of
 * the modules each item's `id` selects, filtered, as `[{id, payload}]` or, gzip, `[{id, payloadBytes}]`.
 * A module whose log cannot be read (simulated pool, not started) answers `{id, error}` saying
 * why; when no selected module has a log the whole request is 500 with those reasons.
 */
export const getModuleLogs: AgentMethodHandler = async (payload, ctx) => {
  const request = parseLogsRequest(payload, ctx.clock.now());
  const selected = selectLogModules(request.items, await ctx.moduleNames());
  const where = { iothub: ctx.iotHubName ?? 'unknown', device: ctx.deviceId };
  const bodies = await Promise.all(
    selected.map(async ({ moduleId, item }) => {
      try {
        const log = await ctx.readModuleLog(moduleId, logQueryFor(item));
        const lines = filterModuleLog(parseModuleLog(log.text), item.filter);
        return { id: moduleId, body: renderModuleLog(lines, moduleId, where, request.contentType) };
      } catch (error) {
        return { id: moduleId, error: describeError(error) };
      }
    }),
  );
  if (bodies.length > 0 && bodies.every((b) => 'error' in b)) {
    throw new MethodFailedError(bodies.map((b) => `${b.id}: ${'error' in b ? b.error : ''}`).join('; '));
  }
  return { status: 200, payload: encodeLogsResponse(bodies, request) };
};
