import type { ServerResponse } from 'node:http';
import { SseStream } from '../service-api/index.js';
import type { StatusTable } from '../agent/index.js';

/** What the device stream reads: twins and their changes, connection changes, routes and queues. */
export interface DeviceStreamSource {
  /** Resolves once `statusTable` may be called (the stream waits for it before its first event). */
  ready(): Promise<void>;
  /** A twin's reported and desired sections (undefined when the identity does not exist). */
  twin(ref: { deviceId: string; moduleId?: string }): { reported: Record<string, unknown>; desired: Record<string, unknown>; connectionState: string } | undefined;
  /** Called after any twin change of `deviceId` (reported or desired), with the module id ('' for the device twin). */
  onTwinChanged(listener: (deviceId: string, moduleId: string) => void): () => void;
  onConnectionChanged(listener: (deviceId: string, moduleId: string | undefined, status: string) => void): () => void;
  /** The routes in force (name, priority, TTL) and the store-and-forward depth of each module of the device. */
  routing(deviceId: string): { routes: Array<{ name: string; priority: number; ttlSecs: number | null }> | null; queues: Array<{ moduleId: string; waiting: number }> };
  statusTable(deviceId: string, reported: Record<string, unknown> | undefined, desiredVersion?: number): StatusTable;
}

/** The `status` event: the modules table of `edgemu status` plus what the page shows next to it. */
export function deviceStatus(source: DeviceStreamSource, deviceId: string): Record<string, unknown> {
  const agent = source.twin({ deviceId, moduleId: '$edgeAgent' });
  const device = source.twin({ deviceId });
  const { $metadata: _m, $version: _v, ...reported } = agent?.reported ?? {};
  const desiredVersion = typeof agent?.desired.$version === 'number' ? agent.desired.$version : undefined;
  return {
    deviceId,
    exists: device !== undefined,
    connectionState: device?.connectionState ?? 'Disconnected',
    agentConnectionState: agent?.connectionState ?? 'Disconnected',
    table: source.statusTable(deviceId, reported, desiredVersion),
    lastDesiredStatus: reported.lastDesiredStatus ?? null,
    lastDesiredVersion: reported.lastDesiredVersion ?? null,
    desiredVersion: desiredVersion ?? null,
  };
}

/**
 * `GET /web/events?deviceId=D` (server-sent events, WHATWG HTML §9.2): `status` (the modules
 * table, whenever `$edgeAgent`'s twin or a connection changes), `twin` (`{moduleId}` after any
 * twin change of the device, so an open twin view reloads), and `routing` (routes in force and
 * queue depths, sent when they change, checked every `routingEveryMs`). Changes are coalesced:
 * at most one `status` per `coalesceMs`.
 */
export async function streamDevice(res: ServerResponse, signal: AbortSignal, source: DeviceStreamSource, deviceId: string, options: { coalesceMs?: number; routingEveryMs?: number } = {}): Promise<void> {
  await source.ready();
  const sse = new SseStream(res);
  const coalesceMs = options.coalesceMs ?? 100;
  let statusTimer: NodeJS.Timeout | undefined;
  let lastRouting = '';
  const sendStatus = () => {
    statusTimer = undefined;
    sse.send({ event: 'status', data: JSON.stringify(deviceStatus(source, deviceId)) });
  };
  const scheduleStatus = () => {
    statusTimer ??= setTimeout(sendStatus, coalesceMs);
  };
  const sendRouting = () => {
    const text = JSON.stringify(source.routing(deviceId));
    if (text === lastRouting) return;
    lastRouting = text;
    sse.send({ event: 'routing', data: text });
  };
  const offTwin = source.onTwinChanged((d, m) => {
    if (d !== deviceId) return;
    sse.send({ event: 'twin', data: JSON.stringify({ moduleId: m }) });
    if (m === '$edgeAgent' || m === '') scheduleStatus();
  });
  const offConnection = source.onConnectionChanged((d) => {
    if (d === deviceId) scheduleStatus();
  });
  const routingTimer = setInterval(sendRouting, options.routingEveryMs ?? 1000);
  routingTimer.unref();
  const onAbort = () => sse.close();
  try {
    sendStatus();
    sendRouting();
    if (signal.aborted) sse.close();
    else signal.addEventListener('abort', onAbort, { once: true });
    await sse.closed;
  } finally {
    signal.removeEventListener('abort', onAbort);
    clearInterval(routingTimer);
    if (statusTimer) clearTimeout(statusTimer);
    offTwin();
    offConnection();
    sse.close();
  }
}
