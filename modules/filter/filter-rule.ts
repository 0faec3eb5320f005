/**
 * The filter's decision, kept pure: forward a message only when its machine temperature
 * exceeds the threshold (the rule of Microsoft's IoT Edge "FilterModule" tutorial, which reads
 * `machine.temperature` from the SimulatedTemperatureSensor body and compares it with the
 * `TemperatureThreshold` desired property).
 */

/** Used until the twin provides `TemperatureThreshold`. */
export const DEFAULT_TEMPERATURE_THRESHOLD = 25;

/** The largest body the filter will parse; IoT Edge caps messages at 256 KB (edgeHub `MaxInboundMessageSize`). */
export const MAX_BODY_BYTES = 262_144;

export type ThresholdResult = { ok: true; value: number } | { ok: false; reason: string };

/** Reads `TemperatureThreshold` from a desired document or patch; absent means "no change". */
export function parseThreshold(desired: Readonly<Record<string, unknown>>): ThresholdResult | undefined {
  if (!('TemperatureThreshold' in desired)) return undefined;
  const value = desired.TemperatureThreshold;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) return { ok: false, reason: `TemperatureThreshold must be a number, got ${JSON.stringify(value)}` };
  return { ok: true, value: n };
}

export type FilterDecision =
  | { action: 'forward'; temperature: number }
  | { action: 'drop'; temperature: number }
  | { action: 'reject'; reason: string };

/**
 * Decides what happens to one input message body. Malformed bodies are rejected with a reason
 * (logged and dropped by the module, never crashing it).
 */
export function decide(body: Buffer, threshold: number): FilterDecision {
  if (body.length > MAX_BODY_BYTES) return { action: 'reject', reason: `body of ${body.length} bytes exceeds ${MAX_BODY_BYTES}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { action: 'reject', reason: 'body is not JSON' };
  }
  const machine = typeof parsed === 'object' && parsed !== null ? (parsed as { machine?: unknown }).machine : undefined;
  const temperature = typeof machine === 'object' && machine !== null ? (machine as { temperature?: unknown }).temperature : undefined;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature)) {
    return { action: 'reject', reason: 'body has no numeric machine.temperature' };
  }
  return temperature > threshold ? { action: 'forward', temperature } : { action: 'drop', temperature };
}
