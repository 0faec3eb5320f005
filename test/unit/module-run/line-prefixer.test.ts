import { describe, expect, it } from 'vitest';
import { createLinePrefixer } from '../../../runtime/module-run/index.js';

const collect = (max?: number) => {
  const lines: string[] = [];
  const p = createLinePrefixer('m | ', (l) => lines.push(l), max);
  return { p, lines };
};

describe('createLinePrefixer', () => {
  it('prefixes each complete line', () => {
    const { p, lines } = collect();
    p.push('one\ntwo\n');
    expect(lines).toEqual(['m | one\n', 'm | two\n']);
  });

  it('joins a line split across chunks and waits for its newline', () => {
    const { p, lines } = collect();
    p.push('hel');
    expect(lines).toEqual([]);
    p.push('lo\nwor');
    p.push('ld\n');
    expect(lines).toEqual(['m | hello\n', 'm | world\n']);
  });

  it('emits the unterminated tail on flush, once', () => {
    const { p, lines } = collect();
    p.push('a\nlast');
    p.flush();
    p.flush();
    expect(lines).toEqual(['m | a\n', 'm | last\n']);
  });

  it('drops the carriage return of CRLF lines and keeps empty lines', () => {
    const { p, lines } = collect();
    p.push('win\r\n\nx\n');
    expect(lines).toEqual(['m | win\n', 'm | \n', 'm | x\n']);
  });

  it('cuts a line longer than the limit so memory stays bounded', () => {
    const { p, lines } = collect(4);
    p.push('abcdefghij');
    expect(lines).toEqual(['m | abcd\n', 'm | efgh\n']);
    p.flush();
    expect(lines.at(-1)).toBe('m | ij\n');
  });
});
