import { describe, expect, it } from 'vitest';
import {
  answerRequest,
  hasNestedQuantifier,
  parseModuleLogsUploadRequest,
  parseSupportBundleRequest,
  parseTaskStatusRequest,
  RequestPayloadError,
  time,
  UPLOAD_LIMITS,
} from '../../../../runtime/agent/methods/upload-request.js';

const NOW = Date.parse('2026-12-02T01:00:00Z');
const SAS = 'https://acct.blob.core.windows.net/logs?sv=2021-12-02&sp=cw&sig=abc';
const upload = (over: Record<string, unknown> = {}) => ({ schemaVersion: '1.0', items: [{ id: 'sensor' }], sasUrl: SAS, ...over });
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(RequestPayloadError);
    return (error as Error).message;
  }
  throw new Error('expected a RequestPayloadError');
};

describe('UploadModuleLogs payloads', () => {
  it('takes the documented shape with edgeAgent\'s defaults: encoding none, contentType text', () => {
    const r = parseModuleLogsUploadRequest(upload({ items: [{ id: 'sens.*', filter: { tail: 10, since: '1h', until: 1796173000, loglevel: 3, regex: 'temp' } }] }), NOW);
    expect(r).toMatchObject({ schemaVersion: '1.0', encoding: 'none', contentType: 'text', sasUrl: SAS });
    expect(r.items[0]!.id.test('SENSOR')).toBe(true); // ids match case-insensitively
    expect(r.items[0]!.filter).toMatchObject({ tail: 10, since: NOW / 1000 - 3600, until: 1796173000, loglevel: 3 });
    expect(r.items[0]!.filter.regex?.test('temperature')).toBe(true);
  });

  it('takes a single item object as a one-item list, and encoding/contentType in any case', () => {
    const r = parseModuleLogsUploadRequest(upload({ items: { id: 'filter' }, encoding: 'GZIP', contentType: 'Json' }), NOW);
    expect(r.items).toHaveLength(1);
    expect(r).toMatchObject({ encoding: 'gzip', contentType: 'json' });
  });

  it.each([
    [null, 'Request payload not found'],
    ['text', 'must be a JSON object'],
    [upload({ schemaVersion: undefined }), 'field "schemaVersion" is missing'],
    [upload({ schemaVersion: '2.0' }), 'field "schemaVersion" is "2.0", which is not supported'],
    [upload({ sasUrl: undefined }), 'field "sasUrl" is missing'],
    [upload({ sasUrl: 'ftp://x/y' }), 'field "sasUrl" must be an https:// URL'],
    [upload({ sasUrl: `https://a/${'x'.repeat(UPLOAD_LIMITS.maxSasUrlLength)}` }), 'field "sasUrl" is longer than'],
    [upload({ items: undefined }), 'field "items" is missing'],
    [upload({ items: [] }), 'field "items" is empty'],
    [upload({ items: Array.from({ length: 100 }, () => ({ id: 'a' })) }), 'field "items" has 100 entries; at most 50'],
    [upload({ items: [{ id: 'a' }, 'b'] }), 'field "items[1]" must be an object'],
    [upload({ items: [{}] }), 'field "items[0].id" is missing'],
    [upload({ items: [{ id: '(' }] }), 'field "items[0].id" is not a valid regular expression'],
    [upload({ items: [{ id: 'a', filter: [] }] }), 'field "items[0].filter" must be an object'],
    [upload({ items: [{ id: 'a', filter: { tail: -1 } }] }), 'field "items[0].filter.tail" must be a whole number'],
    [upload({ items: [{ id: 'a', filter: { tail: 1e12 } }] }), 'field "items[0].filter.tail" must be a whole number from 0 to 1000000'],
    [upload({ items: [{ id: 'a', filter: { since: 'yesterday' } }] }), 'field "items[0].filter.since" must be a Unix timestamp'],
    [upload({ items: [{ id: 'a', filter: { until: '3 fortnights' } }] }), 'field "items[0].filter.until" has unknown unit "fortnights"'],
    [upload({ items: [{ id: 'a', filter: { loglevel: 8 } }] }), 'field "items[0].filter.loglevel" must be a syslog severity'],
    [upload({ items: [{ id: 'a', filter: { regex: 5 } }] }), 'field "items[0].filter.regex" must be a string'],
    [upload({ items: [{ id: 'a', filter: { regex: '(a+)+$' } }] }), 'field "items[0].filter.regex" repeats a group that itself repeats'],
    [upload({ items: [{ id: 'a', filter: { regex: 'x'.repeat(1001) } }] }), 'field "items[0].filter.regex" is longer than 1000'],
    [upload({ encoding: 'brotli' }), 'field "encoding" must be "none" or "gzip"'],
    [upload({ contentType: 'xml' }), 'field "contentType" must be "json" or "text"'],
  ])('refuses %j: %s', (payload, message) => {
    expect(refusal(() => parseModuleLogsUploadRequest(payload, NOW))).toContain(message);
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
    [{ sasUrl: SAS }, 'field "schemaVersion" is missing'],
    [{ schemaVersion: '1.0' }, 'field "sasUrl" is missing'],
    [{ schemaVersion: '1.0', sasUrl: SAS, edgeRuntimeOnly: 'yes' }, 'field "edgeRuntimeOnly" must be true or false'],
    [{ schemaVersion: '1.0', sasUrl: SAS, since: {} }, 'field "since" must be'],
  ])('refuses the bundle request %j: %s', (payload, message) => {
    expect(refusal(() => parseSupportBundleRequest(payload, NOW))).toContain(message);
  });

  it('needs a correlationId for GetTaskStatus', () => {
    expect(parseTaskStatusRequest({ schemaVersion: '1.0', correlationId: 'abc' })).toEqual({ schemaVersion: '1.0', correlationId: 'abc' });
    expect(refusal(() => parseTaskStatusRequest({ schemaVersion: '1.0' }))).toContain('field "correlationId" is missing');
    expect(refusal(() => parseTaskStatusRequest({ schemaVersion: '1.0', correlationId: 'x'.repeat(200) }))).toContain('longer than 128');
    expect(refusal(() => parseTaskStatusRequest(undefined))).toBe('Request payload not found');
  });
});

describe('times and expressions', () => {
  it.each([
    [1796173000, 1796173000],
    ['1796173000', 1796173000],
    ['90 m', NOW / 1000 - 5400],
    ['2 days 3 hours 2 minutes', NOW / 1000 - (2 * 86400 + 3 * 3600 + 120)],
    ['1h30m', NOW / 1000 - 5400],
    ['2026-12-01T23:00:00Z', Date.parse('2026-12-01T23:00:00Z') / 1000],
  ])('reads %j as Unix seconds', (value, seconds) => {
    expect(time(value, 'since', NOW)).toBe(seconds);
  });

  it.each([
    ['(a+)+', true],
    ['(a*)*b', true],
    ['((ab)+c)*', true],
    ['(a|b){2,}', false],
    ['(a+){1,}', true],
    ['(a+){3}', false],
    ['(\\d+)?x', false],
    ['[(a+)+]', false],
    ['temp.*high', false],
  ])('%s has a nested unbounded quantifier: %s', (source, nested) => {
    expect(hasNestedQuantifier(source)).toBe(nested);
  });

  it('answers a refused payload 400 and any other failure 500, both as {message}', async () => {
    expect(await answerRequest(() => Promise.reject(new RequestPayloadError('field "x" is missing')))).toEqual({ status: 400, payload: { message: 'field "x" is missing' } });
    expect(await answerRequest(() => Promise.reject(new Error('cluster unreachable')))).toEqual({ status: 500, payload: { message: 'cluster unreachable' } });
  });
});
