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

describe('SseParser', () => {
  it('reads back what formatSseEvent writes, however the text is split', async () => {
    const { SseParser } = await import('../../../runtime/service-api/sse.js');
    const events = [
      { id: '1', event: 'message', data: '{"a":1}' },
      { id: '2', event: 'message', data: 'two\nlines' },
      { data: 'no id' },
    ];
    // The last event id persists until a new one is set (WHATWG "last event ID buffer").
    const expected = [events[0], events[1], { id: '2', data: 'no id' }];
    const text = `: comment\n\n${events.map(formatSseEvent).join(': keep-alive\n\n')}`;
    for (const size of [1, 2, 7, text.length]) {
      const parser = new SseParser();
      const got = [];
      for (let i = 0; i < text.length; i += size) got.push(...parser.push(text.slice(i, i + size)));
      expect(got).toEqual(expected);
      expect(parser.lastEventId).toBe('2');
    }
  });

  it.each([
    ['CRLF', 'id: 5\r\ndata: x\r\n\r\n'],
    // (a CR at the very end of the input may be half of a CRLF, so the reader waits for more)
    ['CR', 'id: 5\rdata: x\r\r: next\n'],
    ['no space after the colon', 'id:5\ndata:x\n\n'],
  ])('accepts %s line ends and fields', async (_what, text) => {
    const { SseParser } = await import('../../../runtime/service-api/sse.js');
    expect(new SseParser().push(text)).toEqual([{ id: '5', data: 'x' }]);
  });

  it('refuses an endless line instead of buffering it', async () => {
    const { SseParser } = await import('../../../runtime/service-api/sse.js');
    const parser = new SseParser(100);
    expect(() => parser.push(`data: ${'x'.repeat(200)}`)).toThrow(/longer than 100 bytes/);
  });
});
