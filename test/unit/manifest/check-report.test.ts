import { describe, expect, it } from 'vitest';
import { entryFailures, expectationFor, formatCheck, parseExpectations, type CheckEntry } from '../../../runtime/manifest/index.js';

const report = (file: string, status: 200 | 400, extra: Partial<CheckEntry['report']> = {}): CheckEntry['report'] => ({
  file,
  valid: status === 200,
  status,
  errors: status === 200 ? [] : [{ path: '/modulesContent', message: 'broken' }],
  warnings: [],
  ...extra,
});

describe('edgemu check reports', () => {
  it('reads an expectation file of statuses by file name', () => {
    const map = parseExpectations('{"a.json": 200, "dir/b.json": 412}');
    expect(expectationFor(map, 'some/where/a.json')).toBe(200);
    expect(expectationFor(map, 'dir/b.json')).toBe(412);
    expect(expectationFor(map, 'c.json')).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', 'not JSON'],
    ['an array', '[200]', 'JSON object'],
    ['a status that is not a status code', '{"a.json": 201}', 'must be one of'],
    ['a status written as text', '{"a.json": "200"}', 'must be one of'],
  ])('refuses an expectation file that is %s', (_what, text, words) => {
    expect(() => parseExpectations(text)).toThrow(words);
  });

  it('fails an entry for a differing verdict, a failed translation and each dry-run rejection', () => {
    expect(entryFailures({ report: report('a.json', 200), expected: 200, translation: { ok: true, objects: 3, warnings: [] }, dryRun: [] })).toEqual([]);
    expect(
      entryFailures({
        report: report('a.json', 400),
        expected: 200,
        translation: { ok: false, message: 'no' },
        dryRun: [{ object: 'Deployment/x', status: 422, reason: 'spec.replicas: Invalid value' }],
      }),
    ).toEqual(['expected status 200, IoT Edge would report 400', 'translation failed: no', 'API server rejects Deployment/x (422): spec.replicas: Invalid value']);
  });

  it('prints a verdict line per file, its problems, layer kind and a summary', () => {
    const text = formatCheck([
      { report: report('good.json', 200), translation: { ok: true, objects: 8, warnings: ['w1'] }, dryRun: [] },
      { report: report('layer.json', 200, { kind: 'layer' }) },
      { report: report('bad.json', 400), expected: 200 },
    ]);
    expect(text).toBe(
      [
        'good.json: 200, 8 objects, dry run accepted',
        '  translate warning w1',
        'layer.json: 200 (layered deployment content)',
        'bad.json: 400',
        '  error   /modulesContent: broken',
        '  FAIL    expected status 200, IoT Edge would report 400',
        '3 manifests: 2×200, 1×400; 1 failing',
        '',
      ].join('\n'),
    );
  });
});
