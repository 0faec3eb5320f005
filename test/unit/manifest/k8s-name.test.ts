import { describe, expect, it } from 'vitest';
import { toK8sName, toLabelValue } from '../../../runtime/manifest/k8s-name.js';

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe('toK8sName', () => {
  it.each([
    ['SimulatedTemperatureSensor', 'simulatedtemperaturesensor'],
    ['my_mod', 'my-mod'],
    ['Filter', 'filter'],
    ['filter-2', 'filter-2'],
    ['$edgeAgent', 'edgeagent'],
    ['1sensor', 'm-1sensor'],
    ['__x__', 'x'],
    ['a--b', 'a-b'],
  ])('maps %s to %s', (input, expected) => {
    expect(toK8sName(input)).toBe(expected);
  });

  it('gives names that collide for names differing only in case', () => {
    expect(toK8sName('Filter')).toBe(toK8sName('filter'));
  });

  it('shortens long names with a stable hash suffix and keeps them valid', () => {
    const long = 'a'.repeat(100);
    const other = `${'a'.repeat(99)}b`;
    expect(toK8sName(long)).toHaveLength(63);
    expect(toK8sName(long)).toMatch(DNS1035);
    expect(toK8sName(long)).toBe(toK8sName(long));
    expect(toK8sName(long)).not.toBe(toK8sName(other));
  });

  it('always yields an RFC 1035 label', () => {
    for (const s of ['---', '_', '9', 'Ä', '', 'x'.repeat(300), 'A_B-C', '-a-']) expect(toK8sName(s)).toMatch(DNS1035);
  });
});

describe('toLabelValue', () => {
  it.each([
    ['edge-1', 'edge-1'],
    ['Gateway:01', 'gateway-01'],
    ['dev.one', 'dev.one'],
    ['-x-', 'x'],
  ])('maps %s to %s', (input, expected) => {
    expect(toLabelValue(input)).toBe(expected);
  });

  it('keeps values within 63 characters with alphanumeric ends', () => {
    const v = toLabelValue(`${'d'.repeat(80)}!`);
    expect(v.length).toBeLessThanOrEqual(63);
    expect(v).toMatch(/^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/);
  });
});
