import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SENSOR_SETTINGS,
  parseSendInterval,
  sensorSettingsFromEnv,
} from '../../../modules/simulated-temperature-sensor/sensor-settings.js';
import { nextReading } from '../../../modules/simulated-temperature-sensor/sensor-reading.js';

describe('parseSendInterval', () => {
  it.each([
    [5, 5],
    [0.2, 0.2],
    ['2', 2],
    [' 1.5 ', 1.5],
    [0.05, 0.05],
    [86400, 86400],
  ])('accepts %j as %d seconds', (input, expected) => {
    expect(parseSendInterval(input)).toEqual({ ok: true, value: expected });
  });

  it.each([[0], [-1], [0.01], [86401], ['fast'], [''], [null], [undefined], [true], [{ seconds: 1 }], [Number.NaN], [Infinity]])(
    'refuses %j with a reason',
    (input) => {
      const result = parseSendInterval(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/sendInterval/);
    },
  );
});

describe('sensorSettingsFromEnv', () => {
  it('uses the defaults when nothing is set', () => {
    expect(sensorSettingsFromEnv({})).toEqual({ settings: DEFAULT_SENSOR_SETTINGS, warnings: [] });
  });

  it('reads manifest env values, which are always strings', () => {
    const { settings, warnings } = sensorSettingsFromEnv({
      SEND_INTERVAL: '0.5',
      MACHINE_TEMPERATURE_MIN: '20',
      MACHINE_TEMPERATURE_MAX: '40',
      TEMPERATURE_STEP: '1',
      TEMPERATURE_NOISE: '0',
    });
    expect(warnings).toEqual([]);
    expect(settings).toEqual({ sendIntervalSecs: 0.5, machineTemperatureMin: 20, machineTemperatureMax: 40, temperatureStep: 1, noise: 0 });
  });

  it.each([
    [{ SEND_INTERVAL: 'soon' }, /SEND_INTERVAL ignored/],
    [{ TEMPERATURE_STEP: 'x' }, /TEMPERATURE_STEP ignored/],
    [{ TEMPERATURE_NOISE: '-1' }, /TEMPERATURE_NOISE ignored/],
    [{ MACHINE_TEMPERATURE_MIN: '50', MACHINE_TEMPERATURE_MAX: '40' }, /must exceed/],
  ])('warns about %j and falls back to defaults', (env, warning) => {
    const { settings, warnings } = sensorSettingsFromEnv(env);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(warning);
    expect(settings.sendIntervalSecs).toBe(DEFAULT_SENSOR_SETTINGS.sendIntervalSecs);
    expect(settings.machineTemperatureMax).toBeGreaterThan(settings.machineTemperatureMin);
    expect(settings.noise).toBeGreaterThanOrEqual(0);
  });
});

describe('nextReading', () => {
  const exact = { ...DEFAULT_SENSOR_SETTINGS, machineTemperatureMin: 20, machineTemperatureMax: 23, temperatureStep: 1, noise: 0 };
  const now = new Date('2026-01-01T00:00:00Z');

  it('ramps the machine temperature by one step per reading and wraps after the maximum', () => {
    let t = exact.machineTemperatureMin - exact.temperatureStep;
    const temps: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const next = nextReading(t, exact, () => 0.5, now);
      temps.push(next.reading.machine.temperature);
      t = next.machineTemperature;
    }
    expect(temps).toEqual([20, 21, 22, 23, 20, 21]);
  });

  it('produces the body shape of the SimulatedTemperatureSensor module', () => {
    const { reading } = nextReading(20, exact, () => 0.5, now);
    expect(reading).toEqual({
      machine: { temperature: 21, pressure: 1.1 },
      ambient: { temperature: 21, humidity: 25 },
      timeCreated: '2026-01-01T00:00:00.000Z',
    });
  });

  it('keeps noisy readings inside the configured range', () => {
    const noisy = { ...exact, noise: 10 };
    let t = 20;
    for (const r of [0, 0.99, 0, 0.99, 0.1, 0.9]) {
      const next = nextReading(t, noisy, () => r, now);
      expect(next.reading.machine.temperature).toBeGreaterThanOrEqual(20);
      expect(next.reading.machine.temperature).toBeLessThanOrEqual(23);
      t = next.machineTemperature;
    }
  });
});
