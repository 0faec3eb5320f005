import { describe, expect, it } from 'vitest';
import { applyMergePatch, applyPatchMetadata, diffToMergePatch, etagOf, type JsonObject } from '../../../runtime/hub/twin-patch.js';

describe('applyMergePatch (RFC 7396 as IoT Hub applies twin patches)', () => {
  const cases: Array<[string, JsonObject, JsonObject, JsonObject]> = [
    ['adds a new key', { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
    ['replaces a scalar', { a: 1 }, { a: 'x' }, { a: 'x' }],
    ['removes a key given null', { a: 1, b: 2 }, { a: null }, { b: 2 }],
    ['merges nested objects', { a: { x: 1, y: 2 } }, { a: { y: 3, z: 4 } }, { a: { x: 1, y: 3, z: 4 } }],
    ['removes a nested key', { a: { x: 1, y: 2 } }, { a: { x: null } }, { a: { y: 2 } }],
    ['replaces arrays whole', { a: [1, 2, 3] }, { a: [4] }, { a: [4] }],
    ['replaces a scalar with an object (dropping nulls inside)', { a: 1 }, { a: { b: null, c: 1 } }, { a: { c: 1 } }],
    ['ignores null for a missing key', { a: 1 }, { zz: null }, { a: 1 }],
  ];
  it.each(cases)('%s', (_name, target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it('does not modify its input', () => {
    const target = { a: { b: 1 } };
    applyMergePatch(target, { a: { b: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});

describe('diffToMergePatch', () => {
  const cases: Array<[string, JsonObject, JsonObject]> = [
    ['identical documents', { a: 1, b: { c: 2 } }, { a: 1, b: { c: 2 } }],
    ['a removed key', { a: 1, b: 2 }, { a: 1 }],
    ['a changed nested value', { a: { b: 1, c: 2 } }, { a: { b: 1, c: 3 } }],
    ['object replaced by scalar', { a: { b: 1 } }, { a: 5 }],
    ['a changed array', { a: [1] }, { a: [1, 2] }],
    ['everything removed', { a: 1, b: { c: 1 } }, {}],
  ];
  it.each(cases)('produces a patch that turns the first into the second: %s', (_name, from, to) => {
    expect(applyMergePatch(from, diffToMergePatch(from, to))).toEqual(to);
  });

  it('yields an empty patch for equal documents and only the change otherwise', () => {
    expect(diffToMergePatch({ a: 1 }, { a: 1 })).toEqual({});
    expect(diffToMergePatch({ a: { b: 1, c: 2 } }, { a: { b: 1, c: 3 } })).toEqual({ a: { c: 3 } });
    expect(diffToMergePatch({ a: 1, b: 2 }, { a: 1 })).toEqual({ b: null });
  });
});

describe('applyPatchMetadata', () => {
  it('stamps the root and every touched node and drops removed keys', () => {
    const t0 = '2026-01-01T00:00:00.000Z';
    const t1 = '2026-01-02T00:00:00.000Z';
    let meta = applyPatchMetadata({ $lastUpdated: t0, $lastUpdatedVersion: 1 }, { a: { b: 1 }, c: 2 }, t0, 2);
    meta = applyPatchMetadata(meta, { a: { d: 3 }, c: null }, t1, 3);
    expect(meta).toEqual({
      $lastUpdated: t1,
      $lastUpdatedVersion: 3,
      a: { $lastUpdated: t1, $lastUpdatedVersion: 3, b: { $lastUpdated: t0, $lastUpdatedVersion: 2 }, d: { $lastUpdated: t1, $lastUpdatedVersion: 3 } },
    });
  });
});

describe('etagOf', () => {
  it('encodes the version like IoT Hub ETags', () => {
    expect(etagOf(1)).toBe('AAAAAAAAAAE=');
    expect(etagOf(256)).toBe('AAAAAAAAAQA=');
  });
});
