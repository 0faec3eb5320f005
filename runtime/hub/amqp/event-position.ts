import { createHash } from 'node:crypto';

/**
 * Where an Event Hubs receiver starts, from the selector filter it attaches with
 * (`apache.org:selector-filter:string`, as `@azure/event-hubs` and the Event Hubs AMQP
 * protocol write it: learn.microsoft.com/azure/event-hubs/event-hubs-amqp-troubleshoot and
 * learn.microsoft.com/azure/event-hubs/event-hubs-features "Event position"):
 * `amqp.annotation.x-opt-offset > '-1'` (earliest), `> '@latest'`, `>[=] '<offset>'`,
 * `amqp.annotation.x-opt-sequence-number >[=] <n>`, `amqp.annotation.x-opt-enqueued-time > '<epoch ms>'`.
 * Offsets and sequence numbers are the hub's message-store sequence numbers.
 */
export type EventPosition = { kind: 'after-seq'; seq: number } | { kind: 'latest' } | { kind: 'after-time'; epochMs: number };

export function parseEventPosition(selector: string | undefined): EventPosition | undefined {
  if (selector === undefined || selector.trim() === '') return { kind: 'latest' };
  const m = /^\s*amqp\.annotation\.(x-opt-offset|x-opt-sequence-number|x-opt-enqueued-time)\s*(>=|>)\s*'?([^']*)'?\s*$/i.exec(selector);
  if (!m) return undefined;
  const [, field, op, value] = m as unknown as [string, string, string, string];
  const inclusive = op === '>=';
  if (field.toLowerCase() === 'x-opt-enqueued-time') {
    const ms = Number(value);
    return Number.isFinite(ms) ? { kind: 'after-time', epochMs: inclusive ? ms - 1 : ms } : undefined;
  }
  if (value === '@latest') return { kind: 'latest' };
  if (!/^-?\d+$/.test(value)) return undefined;
  const n = Number(value);
  if (n < 0) return { kind: 'after-seq', seq: 0 };
  return { kind: 'after-seq', seq: inclusive ? n - 1 : n };
}

/** The selector string inside an attach's source filter map (whatever its key, described or not). */
export function selectorOf(filter: unknown): string | undefined {
  if (typeof filter === 'string') return filter;
  if (filter === null || typeof filter !== 'object') return undefined;
  const f = filter as Record<string, unknown>;
  if ('value' in f && f.value !== undefined) return selectorOf(f.value);
  for (const v of Object.values(f)) {
    const s = selectorOf(v);
    if (s !== undefined) return s;
  }
  return undefined;
}

/**
 * The partition a device's messages go to: a stable hash of the device id modulo the
 * partition count, so one device's messages stay in order in one partition (as IoT Hub's
 * built-in endpoint keeps them: learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-read-builtin).
 */
export function partitionOf(deviceId: string, partitionCount: number): number {
  return createHash('sha256').update(deviceId).digest().readUInt32BE(0) % partitionCount;
}
