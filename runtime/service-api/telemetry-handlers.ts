import type { MessageFilter, StoredMessage } from '../hub/index.js';
import type { ServiceBackend } from './service-backend.js';
import type { RequestContext, ApiResult } from './start-service-api.js';
import { apiErrors, ServiceApiError } from './service-api-error.js';
import { SseStream } from './sse.js';
import { telemetryJson } from './telemetry-json.js';

/** Bounds of the telemetry endpoints. */
export const TELEMETRY_LIMITS = { defaultLimit: 100, maxLimit: 1000, scanWindow: 10_000, pageSize: 1000, maxStreams: 64 } as const;

/**
 * Reads `deviceId`, `moduleId`, `endpoint`, `after` and `limit` from the query string
 * (`Last-Event-ID` also sets `after`, so a reconnecting SSE reader resumes where it stopped).
 */
export function parseTelemetryQuery(query: URLSearchParams, lastEventId?: string): { filter: MessageFilter; limit: number; hasAfter: boolean } {
  const filter: MessageFilter = {};
  for (const name of ['deviceId', 'moduleId', 'endpoint'] as const) {
    const v = query.get(name);
    if (v !== null) {
      if (v === '' || v.length > 128) throw apiErrors.badRequest(`${name} must be 1 to 128 characters.`);
      filter[name] = v;
    }
  }
  const after = query.get('after') ?? lastEventId;
  if (after !== undefined && after !== null) {
    if (!/^\d{1,15}$/.test(after)) throw apiErrors.badRequest('after must be a message sequence number.');
    filter.afterSeq = Number(after);
  }
  const limitText = query.get('limit');
  let limit: number = TELEMETRY_LIMITS.defaultLimit;
  if (limitText !== null) {
    if (!/^\d{1,6}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > TELEMETRY_LIMITS.maxLimit) {
      throw apiErrors.badRequest(`limit must be a number from 1 to ${TELEMETRY_LIMITS.maxLimit}.`);
    }
    limit = Number(limitText);
  }
  return { filter, limit, hasAfter: filter.afterSeq !== undefined };
}

/**
 * With `after`: the first `limit` matching messages after it, oldest first. Without: the last
 * `limit` matching messages among the newest `scanWindow` stored (oldest first), so a filter
 * on a quiet device never scans the whole store.
 */
export function readMessages(backend: ServiceBackend, filter: MessageFilter, limit: number, hasAfter: boolean): StoredMessage[] {
  const store = backend.store.messages;
  let cursor = hasAfter ? filter.afterSeq! : Math.max(0, store.lastSeq() - TELEMETRY_LIMITS.scanWindow);
  const out: StoredMessage[] = [];
  for (;;) {
    // Read a page unfiltered by device (the store filters after its LIMIT), then filter here.
    const page = store.read({ afterSeq: cursor, ...(filter.endpoint ? { endpoint: filter.endpoint } : {}) }, TELEMETRY_LIMITS.pageSize);
    if (page.length === 0) break;
    cursor = page.at(-1)!.seq;
    for (const m of page) {
      if ((filter.deviceId === undefined || m.deviceId === filter.deviceId) && (filter.moduleId === undefined || m.moduleId === filter.moduleId)) out.push(m);
    }
    if (hasAfter && out.length >= limit) return out.slice(0, limit);
    if (!hasAfter && out.length > limit) out.splice(0, out.length - limit);
    if (page.length < TELEMETRY_LIMITS.pageSize) break;
  }
  return out;
}

/**
 * Telemetry over HTTPS (edgemu's own endpoints; IoT Hub offers this through its Event
 * Hubs-compatible endpoint instead): `GET /messages/events` returns recent messages, and
 * `GET /messages/events/stream` streams every new one as server-sent events
 * (`id` = sequence number, `event: message`, `data` = the JSON view).
 */
export function telemetryHandlers(backend: ServiceBackend, maxStreams: number = TELEMETRY_LIMITS.maxStreams) {
  let openStreams = 0;
  return {
    recentEvents: async (ctx: RequestContext): Promise<ApiResult> => {
      const { filter, limit, hasAfter } = parseTelemetryQuery(ctx.query);
      return { status: 200, json: readMessages(backend, filter, limit, hasAfter).map(telemetryJson) };
    },
    streamEvents: async (ctx: RequestContext): Promise<ApiResult> => {
      const lastEventId = ctx.headers['last-event-id'];
      const { filter, hasAfter } = parseTelemetryQuery(ctx.query, Array.isArray(lastEventId) ? lastEventId[0] : lastEventId);
      // Each stream holds a socket and a listener: their number is bounded like everything else.
      if (openStreams >= maxStreams) throw new ServiceApiError(503, 'ServiceUnavailable', `Too many telemetry streams are open (${maxStreams}); try again later.`);
      openStreams++;
      let unsubscribe: (() => void) | undefined;
      let stream: SseStream | undefined;
      try {
        const { afterSeq: _after, ...liveFilter } = filter;
        // Subscribe before replaying so nothing stored in between is lost; drop duplicates by seq.
        // (lastSeq, the stream headers and subscribe run in one tick: no commit can fall between.)
        const pending: StoredMessage[] = [];
        let replaying = true;
        let lastSent = hasAfter ? filter.afterSeq! : backend.store.messages.lastSeq();
        const sse = (stream = new SseStream(ctx.res));
        const send = (m: StoredMessage): boolean => {
          if (m.seq <= lastSent) return sse.isOpen;
          lastSent = m.seq;
          return sse.send({ id: String(m.seq), event: 'message', data: JSON.stringify(telemetryJson(m)) });
        };
        unsubscribe = backend.store.messages.subscribe((m) => (replaying ? pending.push(m) : send(m)), liveFilter);
        // Replay everything missed, page by page. A reader that falls more than the stream's buffer
        // behind is disconnected by SseStream and resumes from its last id, so this stays bounded.
        if (hasAfter) {
          replay: for (;;) {
            const page = readMessages(backend, { ...filter, afterSeq: lastSent }, TELEMETRY_LIMITS.maxLimit, true);
            if (page.length === 0) break;
            for (const m of page) if (!send(m)) break replay;
            if (page.length < TELEMETRY_LIMITS.maxLimit) break;
          }
        }
        replaying = false;
        for (const m of pending.splice(0)) send(m);
        const onAbort = () => sse.close();
        if (ctx.signal.aborted) sse.close();
        else ctx.signal.addEventListener('abort', onAbort, { once: true });
        await sse.closed;
        ctx.signal.removeEventListener('abort', onAbort);
      } finally {
        openStreams--;
        unsubscribe?.();
        stream?.close();
      }
      return { streamed: true };
    },
  };
}
