import { describe, expect, it } from 'vitest';
import { formatSseEvent } from '../../../runtime/service-api/sse.js';
import { parseJsonBody } from '../../../runtime/service-api/read-body.js';

describe('formatSseEvent', () => {
  it.each([
    [{ data: 'x' }, 'data: x\n\n'],
    [{ id: '7', event: 'message', data: '{"a":1}' }, 'id: 7\nevent: message\ndata: {"a":1}\n\n'],
    [{ data: 'line1\nline2\r\nline3' }, 'data: line1\ndata: line2\ndata: line3\n\n'],
    [{ id: '1\n2', event: 'a\rb', data: '' }, 'id: 12\nevent: ab\ndata: \n\n'],
  ])('formats %j', (event, expected) => {
    expect(formatSseEvent(event)).toBe(expected);
  });
});

describe('parseJsonBody', () => {
  const json = (s: string) => Buffer.from(s);

  it.each([
    ['application/json; charset=utf-8', '{"a":1}', { a: 1 }],
    [undefined, '[1,2]', [1, 2]],
    ['application/merge-patch+json', '{"b":null}', { b: null }],
  ])('parses a body with content type %s', (ct, body, expected) => {
    expect(parseJsonBody(json(body), ct)).toEqual(expected);
  });

  it.each([
    ['text/plain', '{}', 415],
    ['application/json', '', 400],
    ['application/json', '{"a":', 400],
    ['application/json', '{"a":{"__proto__":{"polluted":true}}}', 400],
    ['application/json', '\u0000\u0001binary', 400],
  ])('refuses content type %s with body %j as %i', (ct, body, status) => {
    expect(() => parseJsonBody(json(body), ct)).toThrow(expect.objectContaining({ status }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
