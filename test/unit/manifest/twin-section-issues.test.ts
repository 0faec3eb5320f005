import { describe, expect, it } from 'vitest';
import { desiredSectionIssues as checkTwinSection } from '../../../runtime/manifest/twin-section-issues.js';
import { twinKeyProblem } from '../../../runtime/twin/index.js';

const nest = (levels: number): Record<string, unknown> => {
  let d: Record<string, unknown> = { leaf: 1 };
  for (let i = levels; i >= 1; i--) d = { [`l${i}`]: d };
  return d;
};

describe('twin rules', () => {
  it.each(['threshold', 'a-b_c', 'ünïcode', 'x'.repeat(1024), 'CamelCase1'])('accepts the key %j', (key) => {
    expect(twinKeyProblem(key)).toBeUndefined();
  });

  it.each([
    ['a.b', '"."'],
    ['$a', '"$"'],
    ['a#b', '"#"'],
    ['a b', '" "'],
    ['a\tb', 'control'],
    ['', 'empty'],
    ['x'.repeat(1025), '1024 bytes'],
    ['é'.repeat(513), '1024 bytes'],
  ])('refuses the key %j', (key, words) => {
    expect(twinKeyProblem(key)).toContain(words);
  });

  it('allows objects nested 10 levels deep and refuses 11', () => {
    expect(checkTwinSection(nest(10), '/d', 'm')).toEqual([]);
    const problems = checkTwinSection(nest(11), '/d', 'm');
    expect(problems.map((p) => p.path)).toEqual(['/d/l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11']);
  });

  it('refuses a section over 32 KB, strings over 4 KB and integers beyond 2^52', () => {
    const big: Record<string, string> = {};
    for (let i = 0; i < 9; i++) big[`k${i}`] = 'x'.repeat(4000);
    expect(checkTwinSection(big, '/d', 'm')[0]).toMatchObject({ path: '/d', message: expect.stringContaining('32 KB') });
    expect(checkTwinSection({ s: 'x'.repeat(4097) }, '/d', 'm')[0]).toMatchObject({ path: '/d/s', message: expect.stringContaining('4096 bytes') });
    expect(checkTwinSection({ n: 2 ** 53 }, '/d', 'm')[0]).toMatchObject({ path: '/d/n' });
    expect(checkTwinSection({ n: 2 ** 52 - 1, f: 1e300 }, '/d', 'm')).toEqual([]);
  });

  it('checks keys inside arrays of objects and escapes pointers', () => {
    expect(checkTwinSection({ 'a/b': [{ 'x.y': 1 }] }, '/d', 'm').map((p) => p.path)).toEqual(['/d/a~1b/0/x.y']);
  });
});

describe('twin section size', () => {
  const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

  it.each([
    ['plain ASCII', 'threshold 25'],
    ['quotes and backslashes', 'a"b\\c'],
    ['short escapes', '\b\t\n\f\r'],
    ['other control characters', '\u0000\u0001\u001f\u007f'],
    ['two- and three-byte characters', 'é€ÿ\u0800\uffff'],
    ['a surrogate pair', '\ud83d\ude00'],
    ['lone surrogates', '\ud800x\udc00'],
    ['line separators and BOM', '\u2028\u2029\ufeff'],
  ])('is measured as JSON.stringify writes the section: %s', (_label, text) => {
    // pad the section to exactly 32 KB, then one byte more: only the second is refused
    const section: Record<string, unknown> = { [`k${text.length}`]: text, n: [1.5, -0, 1e21, null, true, false], u: undefined, pad: '' };
    section.pad = 'x'.repeat(32 * 1024 - bytes(section));
    expect(bytes(section)).toBe(32 * 1024);
    expect(checkTwinSection(section, '/d', 'm').filter((p) => p.path === '/d')).toEqual([]);
    section.pad = `${section.pad as string}x`;
    expect(checkTwinSection(section, '/d', 'm')[0]).toEqual({ path: '/d', message: expect.stringContaining(`${32 * 1024 + 1} bytes`) });
  });

  it('asks JSON.stringify for values it treats specially (toJSON)', () => {
    const section = { when: { toJSON: () => 'x'.repeat(40 * 1024) } };
    // {"when":"…"}: 11 bytes around the 40 KB string
    expect(checkTwinSection(section, '/d', 'm')[0]).toEqual({ path: '/d', message: expect.stringContaining(`${40 * 1024 + 11} bytes`) });
    expect(checkTwinSection({ small: { toJSON: () => 1 } }, '/d', 'm')).toEqual([]);
  });
});
