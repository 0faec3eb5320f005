import { describe, expect, it } from 'vitest';
import { parseQuery, queryPage, QueryPageError, MAX_PAGE_SIZE, type ParsedQuery } from '../../../runtime/query/index.js';

const docs = Array.from({ length: 7 }, (_, i) => ({ deviceId: `d${i}`, tags: { n: i, even: i % 2 === 0 } }));
let scanned = 0;
const source = () => ({
  *[Symbol.iterator]() {
    for (const d of docs) {
      scanned += 1;
      yield d;
    }
  },
});
const parsed = (text: string): ParsedQuery => {
  const r = parseQuery(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.query;
};

const allPages = (text: string, size: number) => {
  const q = parsed(text);
  const pages: unknown[][] = [];
  let continuation: string | undefined;
  do {
    const page = queryPage(q, source, { maxItemCount: String(size), continuation });
    pages.push(page.items);
    continuation = page.continuation;
  } while (continuation);
  return pages;
};

describe('queryPage', () => {
  it('pages by the max item count until no continuation comes back', () => {
    const pages = allPages('SELECT * FROM devices', 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
    expect(pages.flat().map((d) => (d as { deviceId: string }).deviceId)).toEqual(docs.map((d) => d.deviceId));
  });

  it('gives no continuation when the page holds everything', () => {
    const page = queryPage(parsed('SELECT * FROM devices WHERE tags.even = true'), source, { maxItemCount: 4 });
    expect(page.items).toHaveLength(4);
    expect(page.continuation).toBeUndefined();
  });

  it('pages grouped results too', () => {
    expect(allPages('SELECT tags.n AS n, COUNT() AS c FROM devices GROUP BY tags.n', 3).map((p) => p.length)).toEqual([3, 3, 1]);
  });

  it('stops scanning one twin past the first page', () => {
    scanned = 0;
    queryPage(parsed('SELECT * FROM devices'), source, { maxItemCount: 2 });
    expect(scanned).toBe(3);
  });

  it('keeps TOP across pages', () => {
    expect(allPages('SELECT TOP 3 * FROM devices', 2).map((p) => p.length)).toEqual([2, 1]);
  });

  it('caps a huge page at the maximum', () => {
    const many = Array.from({ length: MAX_PAGE_SIZE + 5 }, (_, i) => ({ deviceId: String(i) }));
    const page = queryPage(parsed('SELECT * FROM devices'), () => many, { maxItemCount: '1000000' });
    expect(page.items).toHaveLength(MAX_PAGE_SIZE);
    expect(page.continuation).toBeDefined();
  });

  it.each<[string, { maxItemCount?: string; continuation?: string }, RegExp]>([
    ['a page size of zero', { maxItemCount: '0' }, /whole number from 1/],
    ['a page size that is not a number', { maxItemCount: 'ten' }, /whole number from 1/],
    ['a garbage continuation token', { continuation: '%%%' }, /malformed/],
    ['a token of another query', { continuation: Buffer.from(JSON.stringify({ v: 1, q: 'zzz', o: 2 })).toString('base64url') }, /another query/],
  ])('refuses %s', (_name, request, message) => {
    expect(() => queryPage(parsed('SELECT * FROM devices'), source, request)).toThrow(QueryPageError);
    expect(() => queryPage(parsed('SELECT * FROM devices'), source, request)).toThrow(message);
  });
});
