import { describe, expect, it } from 'vitest';
import { DEFAULT_STANDIN_SETTINGS, desiredChanges, isResetCommand, parseSeconds, standInSettingsFromEnv } from '../../../modules/simulated-temperature-sensor-standin/standin-settings.js';
import { nextStandInReading } from '../../../modules/simulated-temperature-sensor-standin/standin-reading.js';

describe('SimulatedTemperatureSensor stand-in settings', () => {
  it.each([
    [{}, DEFAULT_STANDIN_SETTINGS, 0],
    [{ MessageCount: '-1' }, { ...DEFAULT_STANDIN_SETTINGS, messageCount: -1 }, 0],
    [{ MessageDelay: '00:00:02' }, { ...DEFAULT_STANDIN_SETTINGS, sendIntervalSecs: 2 }, 0],
    [{ SendInterval: '0.5', SendData: 'False' }, { ...DEFAULT_STANDIN_SETTINGS, sendIntervalSecs: 0.5, sendData: false }, 0],
    [{ machineTempMin: '10', machineTempMax: '20' }, { ...DEFAULT_STANDIN_SETTINGS, machineTempMin: 10, machineTempMax: 20 }, 0],
    [{ MessageCount: 'many', SendData: 'yes', MessageDelay: 'soon' }, DEFAULT_STANDIN_SETTINGS, 3],
    [{ machineTempMin: '50', machineTempMax: '40' }, DEFAULT_STANDIN_SETTINGS, 1],
  ])('env %j', (env, settings, warnings) => {
    const result = standInSettingsFromEnv(env);
    expect(result.settings).toEqual(settings);
    expect(result.warnings).toHaveLength(warnings);
  });

  it.each([
    ['5', 5],
    [3, 3],
    ['00:01:30', 90],
    ['1.00:00:00', 86400],
    ['-1', undefined],
    ['x', undefined],
  ])('parseSeconds(%j) = %j', (value, secs) => {
    expect(parseSeconds(value)).toBe(secs);
  });

  it('takes SendInterval and SendData from the twin, refusing what is not one', () => {
    expect(desiredChanges({ SendInterval: 2, SendData: false })).toEqual({ sendIntervalSecs: 2, sendData: false, warnings: [] });
    expect(desiredChanges({ SendInterval: 0, SendData: 'maybe' }).warnings).toHaveLength(2);
    expect(desiredChanges({ other: 1 })).toEqual({ warnings: [] });
  });

  it.each([
    ['{"command":"reset"}', true],
    ['{"command":0}', true],
    ['[{"command":"NoOperation"},{"command":"Reset"}]', true],
    ['{"command":1}', false],
    ['not json', false],
  ])('control message %s resets: %s', (body, expected) => {
    expect(isResetCommand(body)).toBe(expected);
  });
});

describe('SimulatedTemperatureSensor stand-in readings', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  it('climbs by -0.25 … +1.25 below the maximum, with pressure following and ambient around 21 °C / 25 %', () => {
    const low = nextStandInReading(21, DEFAULT_STANDIN_SETTINGS, () => 0, now);
    expect(low.temperature).toBe(20.75);
    const high = nextStandInReading(21, DEFAULT_STANDIN_SETTINGS, () => 0.999999, now);
    expect(high.temperature).toBeCloseTo(22.25, 4);
    expect(high.reading.machine.pressure).toBeCloseTo(1 + (22.25 - 21) * (9 / 79), 4);
    expect(high.reading.ambient.temperature).toBeCloseTo(21.5, 4);
    expect(high.reading.ambient.humidity).toBe(26);
    expect(low.reading.ambient.humidity).toBe(24);
    expect(low.reading.timeCreated).toBe('2026-01-01T00:00:00.000Z');
    expect(Object.keys(low.reading)).toEqual(['machine', 'ambient', 'timeCreated']);
  });

  it('wanders by ±0.5 once above the maximum', () => {
    expect(nextStandInReading(101, DEFAULT_STANDIN_SETTINGS, () => 0, now).temperature).toBe(100.5);
    expect(nextStandInReading(101, DEFAULT_STANDIN_SETTINGS, () => 0.5, now).temperature).toBe(101);
  });
});
