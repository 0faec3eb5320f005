/**
 * Settings of the SimulatedTemperatureSensor stand-in, read as Microsoft's module reads them
 * (Azure/iotedge `edge-modules/SimulatedTemperatureSensor/src/Program.cs` and its
 * `config/appsettings.json`): environment `MessageCount` (default 500, negative = unlimited),
 * `MessageDelay` (a .NET TimeSpan `hh:mm:ss`, default 5 s), the simulator ranges
 * `machineTempMin/Max`, `machinePressureMin/Max`, `ambientTemp`, `ambientHumidity`; module twin
 * desired `SendInterval` (seconds) and `SendData` (bool). The stand-in also takes `SendInterval`
 * and `SendData` from the environment (the twin wins). Pure, so the rules are table-tested.
 */

export interface StandInSettings {
  /** Messages to send before stopping; negative means unlimited. */
  messageCount: number;
  sendIntervalSecs: number;
  sendData: boolean;
  machineTempMin: number;
  machineTempMax: number;
  machinePressureMin: number;
  machinePressureMax: number;
  ambientTemp: number;
  ambientHumidity: number;
}

export const DEFAULT_STANDIN_SETTINGS: StandInSettings = {
  messageCount: 500,
  sendIntervalSecs: 5,
  sendData: true,
  machineTempMin: 21,
  machineTempMax: 100,
  machinePressureMin: 1,
  machinePressureMax: 10,
  ambientTemp: 21,
  ambientHumidity: 25,
};

/** `5`, `0.5`, or a .NET TimeSpan `[d.]hh:mm:ss[.fff]` → seconds; undefined when it is neither. */
export function parseSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const s = value.trim();
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(s);
  if (span) return Number(span[1] ?? 0) * 86_400 + Number(span[2]) * 3600 + Number(span[3]) * 60 + Number(span[4]);
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** `true`/`false` (any case) or a boolean; undefined otherwise. */
export function parseBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  return undefined;
}

type NumberSetting = 'machineTempMin' | 'machineTempMax' | 'machinePressureMin' | 'machinePressureMax' | 'ambientTemp' | 'ambientHumidity';
const NUMBERS: ReadonlyArray<[NumberSetting, string]> = [
  ['machineTempMin', 'machineTempMin'],
  ['machineTempMax', 'machineTempMax'],
  ['machinePressureMin', 'machinePressureMin'],
  ['machinePressureMax', 'machinePressureMax'],
  ['ambientTemp', 'ambientTemp'],
  ['ambientHumidity', 'ambientHumidity'],
];

/** Settings from the environment; a bad value is reported and the default kept. */
export function standInSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): { settings: StandInSettings; warnings: string[] } {
  const settings: StandInSettings = { ...DEFAULT_STANDIN_SETTINGS };
  const warnings: string[] = [];
  if (env.MessageCount !== undefined) {
    const n = Number(env.MessageCount);
    if (env.MessageCount.trim() !== '' && Number.isInteger(n)) settings.messageCount = n;
    else warnings.push(`MessageCount ignored: not an integer (${JSON.stringify(env.MessageCount)})`);
  }
  for (const name of ['MessageDelay', 'SendInterval'] as const) {
    const raw = env[name];
    if (raw === undefined) continue;
    const secs = parseSeconds(raw);
    if (secs !== undefined && secs > 0) settings.sendIntervalSecs = secs;
    else warnings.push(`${name} ignored: not a positive number of seconds or hh:mm:ss (${JSON.stringify(raw)})`);
  }
  if (env.SendData !== undefined) {
    const b = parseBool(env.SendData);
    if (b !== undefined) settings.sendData = b;
    else warnings.push(`SendData ignored: not true or false (${JSON.stringify(env.SendData)})`);
  }
  for (const [key, name] of NUMBERS) {
    const raw = env[name];
    if (raw === undefined) continue;
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (Number.isFinite(n)) settings[key] = n;
    else warnings.push(`${name} ignored: not a number (${JSON.stringify(raw)})`);
  }
  if (settings.machineTempMax <= settings.machineTempMin) {
    warnings.push('machineTempMax must exceed machineTempMin; using 21 … 100');
    settings.machineTempMin = DEFAULT_STANDIN_SETTINGS.machineTempMin;
    settings.machineTempMax = DEFAULT_STANDIN_SETTINGS.machineTempMax;
  }
  return { settings, warnings };
}

/** What a desired-properties document or patch changes: `SendInterval` (seconds > 0) and `SendData`. */
export function desiredChanges(desired: Readonly<Record<string, unknown>>): { sendIntervalSecs?: number; sendData?: boolean; warnings: string[] } {
  const out: { sendIntervalSecs?: number; sendData?: boolean; warnings: string[] } = { warnings: [] };
  if ('SendInterval' in desired) {
    const secs = parseSeconds(desired.SendInterval);
    if (secs !== undefined && secs > 0) out.sendIntervalSecs = secs;
    else out.warnings.push(`desired SendInterval ignored: not a positive number of seconds (${JSON.stringify(desired.SendInterval)})`);
  }
  if ('SendData' in desired) {
    const b = parseBool(desired.SendData);
    if (b !== undefined) out.sendData = b;
    else out.warnings.push(`desired SendData ignored: not true or false (${JSON.stringify(desired.SendData)})`);
  }
  return out;
}

/** Whether a `control` input message asks for a reset: `{"command":"reset"}` or `0`, alone or in a list (Microsoft's `ControlCommand`). */
export function isResetCommand(body: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items.some((item) => {
    const command = typeof item === 'object' && item !== null ? (item as { command?: unknown }).command : undefined;
    return command === 0 || (typeof command === 'string' && command.trim().toLowerCase() === 'reset');
  });
}
