import type { StandInSettings } from './standin-settings.js';

/** The body Microsoft's sensor sends (`MessageBody.cs`): machine and ambient readings and the UTC time. */
export interface StandInReading {
  machine: { temperature: number; pressure: number };
  ambient: { temperature: number; humidity: number };
  timeCreated: string;
}

/** Uniform in [0, 1); injected so tests get exact values. */
export type Random = () => number;

/**
 * One step of Microsoft's simulation (`SendEvents` in `Program.cs`): below the maximum the
 * machine temperature rises by −0.25 … +1.25 (+0.5 on average), above it wanders by ±0.5; the
 * pressure follows the temperature linearly from `machinePressureMin` at `machineTempMin` to
 * `machinePressureMax` at `machineTempMax`; the ambient temperature jitters ±0.5 around
 * `ambientTemp`; humidity is a whole number one below, at or one above `ambientHumidity` (24–26
 * by default). Pure.
 */
export function nextStandInReading(current: number, s: StandInSettings, random: Random, now: Date): { temperature: number; reading: StandInReading } {
  const temperature = current > s.machineTempMax ? current + random() - 0.5 : current - 0.25 + random() * 1.5;
  const normal = (s.machinePressureMax - s.machinePressureMin) / (s.machineTempMax - s.machineTempMin);
  return {
    temperature,
    reading: {
      machine: { temperature, pressure: s.machinePressureMin + (temperature - s.machineTempMin) * normal },
      ambient: { temperature: s.ambientTemp + random() - 0.5, humidity: Math.floor(s.ambientHumidity - 1 + random() * 3) },
      timeCreated: now.toISOString(),
    },
  };
}
