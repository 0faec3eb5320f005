import { describe, expect, it } from 'vitest';
import { MAX_LOG_ITEMS, MAX_TAIL } from '../../../../runtime/agent/methods/logs-request.js';
import { MethodRequestError } from '../../../../runtime/agent/methods/method-request.js';
import { MAX_SAS_URL_LENGTH, parseModuleLogsUploadRequest, parseSupportBundleRequest, parseTaskStatusRequest } from '../../../../runtime/agent/methods/upload-request.js';

const NOW = Date.parse('2026-12-02T01:00:00Z');
const SAS = 'https://acct.blob.core.windows.net/logs?sv=2021-12-02&sp=cw&sig=abc';
const upload = (over: Record<string, unknown> = {}) => ({ schemaVersion: '1.0', items: [{ id: 'sensor' }], sasUrl: SAS, ...over });
const refusal = (f: () => unknown): { message: string; field: unknown } => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(MethodRequestError);
    return { message: (error as MethodRequestError).message, field: (error as MethodRequestError).details?.field };
  }
  throw new Error('expected a MethodRequestError');
};

describe('UploadModuleLogs payloads (the GetModuleLogs rules plus sasUrl)', () => {
  it("takes the documented shape with edgeAgent's defaults: encoding none, contentType text", () => {
    const r = parseModuleLogsUploadRequest(upload({ items: [{ id: 'sens.*', filter: { tail: 10, since: '1h', until: 1796173000, loglevel: 3, regex: 'temp' } }] }), NOW);
    expect(r).toMatchObject({ schemaVersion: '1.0', encoding: 'none', contentType: 'text', sasUrl: SAS });
    expect(r.items[0]!.matches('SENSOR')).toBe(true); // ids match case-insensitively
    expect(r.items[0]!.matches('filter')).toBe(false);
    expect(r.items[0]!.filter).toMatchObject({ tail: 10, since: NOW / 1000 - 3600, until: 1796173000, loglevel: 3 });
    expect(r.items[0]!.filter.regex?.test('temperature')).toBe(true);
  });

  it('takes a single item object as a one-item list, and encoding/contentType in any case', () => {
    const r = parseModuleLogsUploadRequest(upload({ items: { id: 'filter' }, encoding: 'GZIP', contentType: 'Json' }), NOW);
    expect(r.items).toHaveLength(1);
    expect(r).toMatchObject({ encoding: 'gzip', contentType: 'json' });
  });

  it.each([
    [null, 'Request payload not found', undefined],
    ['text', 'the payload must be a JSON object', undefined],
    [upload({ schemaVersion: undefined }), 'schemaVersion: required', 'schemaVersion'],
    [upload({ schemaVersion: '2.0' }), 'schemaVersion: "2.0" is not supported', 'schemaVersion'],
    [upload({ sasUrl: undefined }), 'sasUrl: required', 'sasUrl'],
    [upload({ sasUrl: 'ftp://x/y' }), 'sasUrl: must be an https:// URL', 'sasUrl'],
    [upload({ sasUrl: `https://a/${'x'.repeat(MAX_SAS_URL_LENGTH)}` }), `sasUrl: at most ${MAX_SAS_URL_LENGTH} characters`, 'sasUrl'],
    [upload({ items: undefined }), 'items: required', 'items'],
    [upload({ items: [] }), 'items: required, a non-empty array', 'items'],
    [upload({ items: Array.from({ length: 100 }, () => ({ id: 'a' })) }), `items: at most ${MAX_LOG_ITEMS} items (got 100)`, 'items'],
    [upload({ items: [{ id: 'a' }, 'b'] }), 'items[1]: must be an object', 'items[1]'],
    [upload({ items: [{}] }), 'items[0].id: required', 'items[0].id'],
    [upload({ items: [{ id: '(' }] }), 'items[0].id: not a valid regular expression', 'items[0].id'],
    [upload({ items: [{ id: 'a', filter: [] }] }), 'items[0].filter: must be a JSON object', 'items[0].filter'],
    [upload({ items: [{ id: 'a', filter: { tail: -1 } }] }), `items[0].filter.tail: must be from 0 to ${MAX_TAIL}`, 'items[0].filter.tail'],
    [upload({ items: [{ id: 'a', filter: { tail: 1e12 } }] }), `items[0].filter.tail: must be from 0 to ${MAX_TAIL}`, 'items[0].filter.tail'],
    [upload({ items: [{ id: 'a', filter: { since: 'yesterday' } }] }), 'items[0].filter.since: "yesterday" is neither', 'items[0].filter.since'],
    [upload({ items: [{ id: 'a', filter: { until: '3 fortnights' } }] }), 'items[0].filter.until:', 'items[0].filter.until'],
    [upload({ items: [{ id: 'a', filter: { loglevel: 8 } }] }), 'items[0].filter.loglevel: must be from 0 to 7', 'items[0].filter.loglevel'],
    [upload({ items: [{ id: 'a', filter: { regex: 5 } }] }), 'items[0].filter.regex: must be a string', 'items[0].filter.regex'],
    [upload({ items: [{ id: 'a', filter: { regex: '(?=a)b' } }] }), 'items[0].filter.regex: not a valid regular expression (RE2 syntax', 'items[0].filter.regex'],
    [upload({ items: [{ id: 'a', filter: { regex: 'x'.repeat(1001) } }] }), 'items[0].filter.regex: at most 1000 characters', 'items[0].filter.regex'],
    [upload({ encoding: 'brotli' }), 'encoding: must be one of "gzip", "none"', 'encoding'],
    [upload({ contentType: 'xml' }), 'contentType: must be one of "json", "text"', 'contentType'],
  ])('refuses %j: %s', (payload, message, field) => {
    const r = refusal(() => parseModuleLogsUploadRequest(payload, NOW));
    expect(r.message).toContain(message);
    expect(r.field).toBe(field);
  });

  it('accepts a catastrophic-looking regex, which RE2 matches in linear time', () => {
    const r = parseModuleLogsUploadRequest(upload({ items: [{ id: 'a', filter: { regex: '(a+)+$' } }] }), NOW);
    expect(r.items[0]!.filter.regex?.test(`${'a'.repeat(50_000)}!`)).toBe(false);
  });
});

describe('UploadSupportBundle and GetTaskStatus payloads', () => {
  it('takes since/until/edgeRuntimeOnly as documented', () => {
    expect(parseSupportBundleRequest({ schemaVersion: '1.0', sasUrl: SAS, since: '2d', until: '2026-12-02T00:00:00Z', edgeRuntimeOnly: true }, NOW)).toEqual({
      schemaVersion: '1.0',
      sasUrl: SAS,
      since: NOW / 1000 - 2 * 86400,
      until: Date.parse('2026-12-02T00:00:00Z') / 1000,
      edgeRuntimeOnly: true,
    });
    expect(parseSupportBundleRequest({ schemaVersion: '1.0', sasUrl: SAS }, NOW).edgeRuntimeOnly).toBe(false);
  });

  it.each([
    [{ sasUrl: SAS }, 'schemaVersion: required'],
    [{ schemaVersion: '1.0' }, 'sasUrl: required'],
    [{ schemaVersion: '1.0', sasUrl: SAS, edgeRuntimeOnly: 'yes' }, 'edgeRuntimeOnly: must be true or false'],
    [{ schemaVersion: '1.0', sasUrl: SAS, since: {} }, 'since: must be Unix seconds'],
    [{ schemaVersion: '1.0', sasUrl: SAS, since: '1h', until: '2h' }, 'until: is before since'],
  ])('refuses the bundle request %j: %s', (payload, message) => {
    expect(refusal(() => parseSupportBundleRequest(payload, NOW)).message).toContain(message);
  });

  it('needs a schemaVersion and a correlationId for GetTaskStatus', () => {
    expect(parseTaskStatusRequest({ schemaVersion: '1.0', correlationId: 'abc' })).toEqual({ schemaVersion: '1.0', correlationId: 'abc' });
    expect(refusal(() => parseTaskStatusRequest({ schemaVersion: '1.0' })).message).toContain('correlationId: required');
    expect(refusal(() => parseTaskStatusRequest({ schemaVersion: '1.0', correlationId: 'x'.repeat(200) })).message).toContain('at most 128 characters');
    expect(refusal(() => parseTaskStatusRequest({ correlationId: 'abc' })).message).toContain('schemaVersion: required');
    expect(refusal(() => parseTaskStatusRequest(undefined)).message).toBe('Request payload not found');
  });
});
