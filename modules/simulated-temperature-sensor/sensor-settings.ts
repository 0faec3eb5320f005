/**
 * Settings of the simulated temperature sensor: environment variables from the deployment
 * manifest (`modules.<name>.env.<NAME>.value`, injected by IoT Edge and by `edgemu module run`)
 * and the `sendInterval` desired property. Pure, so the rules are table-tested.
 */

export interface SensorSettings {
  /** Seconds between two messages until the twin says otherwise. */
  sendIntervalSecs: number;
  /** The machine temperature ramps from min to max, then starts again at min (like Microsoft's SimulatedTemperatureSensor). */
  machineTemperatureMin: number;
  machineTemperatureMax: number;
  /** How much the machine temperature rises per message, before noise. */
  temperatureStep: number;
  /** Random variation added to each reading (± half of it); 0 gives an exact ramp. */
  noise: number;
}

export const DEFAULT_SENSOR_SETTINGS: SensorSettings = {
  sendIntervalSecs: 5,
  machineTemperatureMin: 21,
  machineTemperatureMax: 100,
  temperatureStep: 0.5,
  noise: 0.5,
};

/** Fastest accepted interval: 50 ms keeps tests quick without flooding the hub. */
export const MIN_SEND_INTERVAL_SECS = 0.05;
/** Slowest accepted interval: one day. */
export const MAX_SEND_INTERVAL_SECS = 86_400;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Reads `sendInterval` (seconds) from desired properties or env. Numbers and numeric strings
 * are accepted (manifest env values are always strings: learn.microsoft.com/azure/iot-edge/module-composition, "env"); anything
 * else is refused with a reason so the module keeps its current interval.
 */
export function parseSendInterval(value: unknown): ParseResult<number> {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) return { ok: false, reason: `sendInterval must be a number of seconds, got ${JSON.stringify(value)}` };
  if (n < MIN_SEND_INTERVAL_SECS || n > MAX_SEND_INTERVAL_SECS) {
    return { ok: false, reason: `sendInterval must be between ${MIN_SEND_INTERVAL_SECS} and ${MAX_SEND_INTERVAL_SECS} seconds, got ${n}` };
  }
  return { ok: true, value: n };
}

const ENV_NUMBERS: ReadonlyArray<[keyof SensorSettings, string]> = [
  ['machineTemperatureMin', 'MACHINE_TEMPERATURE_MIN'],
  ['machineTemperatureMax', 'MACHINE_TEMPERATURE_MAX'],
  ['temperatureStep', 'TEMPERATURE_STEP'],
  ['noise', 'TEMPERATURE_NOISE'],
];

/** Settings from the module's environment; bad values are reported and replaced by defaults. */
export function sensorSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): { settings: SensorSettings; warnings: string[] } {
  const settings: SensorSettings = { ...DEFAULT_SENSOR_SETTINGS };
  const warnings: string[] = [];
  if (env.SEND_INTERVAL !== undefined) {
    const parsed = parseSendInterval(env.SEND_INTERVAL);
    if (parsed.ok) settings.sendIntervalSecs = parsed.value;
    else warnings.push(`SEND_INTERVAL ignored: ${parsed.reason}`);
  }
  for (const [key, name] of ENV_NUMBERS) {
    const raw = env[name];
    if (raw === undefined) continue;
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (Number.isFinite(n)) settings[key] = n;
    else warnings.push(`${name} ignored: not a number (${JSON.stringify(raw)})`);
  }
  if (settings.noise < 0) {
    warnings.push('TEMPERATURE_NOISE ignored: must not be negative');
    settings.noise = DEFAULT_SENSOR_SETTINGS.noise;
  }
  if (settings.machineTemperatureMax <= settings.machineTemperatureMin) {
    warnings.push('MACHINE_TEMPERATURE_MAX must exceed MACHINE_TEMPERATURE_MIN; using the default range');
    settings.machineTemperatureMin = DEFAULT_SENSOR_SETTINGS.machineTemperatureMin;
    settings.machineTemperatureMax = DEFAULT_SENSOR_SETTINGS.machineTemperatureMax;
  }
  return { settings, warnings };
}
