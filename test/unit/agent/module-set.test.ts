import { describe, expect, it } from 'vitest';
import { diffModuleSets, isEmptyDiff, moduleConfigEquals, moduleSetOf } from '../../../runtime/agent/module-set.js';
import { spec } from './helpers.js';

const names = (list: readonly { name: string }[]) => list.map((m) => m.name);

describe('diffModuleSets', () => {
  it('sorts modules into added, updated, status-changed and removed', () => {
    const desired = moduleSetOf([spec('a'), spec('b', { image: 'example/b:2.0' }), spec('c', { status: 'stopped' }), spec('e')]);
    const current = moduleSetOf([spec('b'), spec('c'), spec('d'), spec('e')]);
    const d = diffModuleSets(desired, current);
    expect(names(d.added)).toEqual(['a']);
    expect(names(d.updated)).toEqual(['b']);
    expect(names(d.desiredStatusChanged)).toEqual(['c']);
    expect(names(d.removed)).toEqual(['d']);
  });

  it('is empty when desired and current are equal', () => {
    expect(isEmptyDiff(diffModuleSets(moduleSetOf([spec('a')]), moduleSetOf([spec('a')])))).toBe(true);
  });

  it.each([
    ['image', { image: 'example/a:2.0' }],
    ['version', { version: '2.0' }],
    ['env', { env: { X: '1' } }],
    ['createOptions', { createOptions: { HostConfig: { Privileged: true } } }],
    ['restartPolicy', { restartPolicy: 'never' as const }],
    ['imagePullPolicy', { imagePullPolicy: 'never' as const }],
    ['startupOrder', { startupOrder: 1 }],
  ])('treats a change of %s as an update (recreate)', (_field, over) => {
    const d = diffModuleSets(moduleSetOf([spec('a', over)]), moduleSetOf([spec('a')]));
    expect(names(d.updated)).toEqual(['a']);
    expect(d.desiredStatusChanged).toEqual([]);
  });

  it('treats a change of status alone as a status change, never an update', () => {
    const d = diffModuleSets(moduleSetOf([spec('a', { status: 'stopped' })]), moduleSetOf([spec('a')]));
    expect(d.updated).toEqual([]);
    expect(names(d.desiredStatusChanged)).toEqual(['a']);
  });

  it('compares createOptions as JSON values, ignoring key order and the raw text', () => {
    const a = spec('a', { createOptions: { A: 1, B: { C: 2, D: 3 } }, createOptionsRaw: '{"A":1,"B":{"C":2,"D":3}}' });
    const b = spec('a', { createOptions: { B: { D: 3, C: 2 }, A: 1 }, createOptionsRaw: '{ "B": {"D":3,"C":2}, "A":1 }' });
    expect(moduleConfigEquals(a, b)).toBe(true);
  });

  it('refuses a module set with a duplicate name', () => {
    expect(() => moduleSetOf([spec('a'), spec('a')])).toThrow(/duplicate/);
  });
});
