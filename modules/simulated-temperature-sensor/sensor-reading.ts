import type { SensorSettings } from './sensor-settings.js';

/**
 * One telemetry body, in the shape of Microsoft's SimulatedTemperatureSensor module
 * (`{machine:{temperature,pressure}, ambient:{temperature,humidity}, timeCreated}`), so routes
 * and filters written for that module (`$body.machine.temperature > 25`) work unchanged.
 */
export interface SensorReading {
  machine: { temperature: number; pressure: number };
  ambient: { temperature: number; humidity: number };
  timeCreated: string;
}

/** A uniform random number in [0, 1); injected so tests get exact values. */
export type Random = () => number;

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The next reading and the machine temperature to continue from. The machine temperature
 * ramps up by `temperatureStep` (± noise) and wraps back to the minimum after the maximum;
 * pressure follows it, ambient values wander around room conditions.
 */
export function nextReading(
  machineTemperature: number,
  settings: SensorSettings,
  random: Random,
  now: Date,
): { reading: SensorReading; machineTemperature: number } {
  const jitter = (random() - 0.5) * settings.noise;
  let next = machineTemperature + settings.temperatureStep + jitter;
  if (next > settings.machineTemperatureMax) next = settings.machineTemperatureMin;
  if (next < settings.machineTemperatureMin) next = settings.machineTemperatureMin;
  const reading: SensorReading = {
    machine: { temperature: round2(next), pressure: round2(1 + (next - settings.machineTemperatureMin) / 10) },
    ambient: { temperature: round2(21 + jitter), humidity: Math.round(25 + (random() - 0.5) * 2) },
    timeCreated: now.toISOString(),
  };
  return { reading, machineTemperature: next };
}
