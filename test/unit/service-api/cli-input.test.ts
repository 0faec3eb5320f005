import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseJsonArgument, parseProperties, parseTimeoutSeconds, toTwinPatch } from '../../../runtime/service-api/cli-input.js';
import { formatTelemetryLine } from '../../../runtime/service-api/format-telemetry.js';
import { UsageError } from '../../../runtime/errors.js';

describe('CLI inputs', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['"text"', 'text'],
    ['null', null],
    ['42', 42],
  ])('parses the JSON argument %s', (text, value) => {
    expect(parseJsonArgument('PAYLOAD', text)).toEqual(value);
  });

  it('reads a JSON argument from @file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-cli-input-'));
    try {
      writeFileSync(path.join(dir, 'p.json'), '{"fromFile":true}');
      expect(parseJsonArgument('JSON', `@${path.join(dir, 'p.json')}`)).toEqual({ fromFile: true });
      expect(() => parseJsonArgument('JSON', `@${path.join(dir, 'missing.json')}`)).toThrow(UsageError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([['{oops'], ['text without quotes'], ['']])('refuses the non-JSON argument %j as a usage error', (text) => {
    expect(() => parseJsonArgument('PAYLOAD', text)).toThrow(UsageError);
  });

  it.each([
    [{ interval: 5 }, { properties: { desired: { interval: 5 } } }],
    [{ properties: { desired: { a: null } } }, { properties: { desired: { a: null } } }],
    [{ tags: { site: 'x' } }, { tags: { site: 'x' } }],
  ])('turns %j into the service patch %j', (input, patch) => {
    expect(toTwinPatch(input)).toEqual(patch);
  });

  it.each([[[1]], ['x'], [null], [{ properties: {}, interval: 5 }]])('refuses the twin patch %j', (input) => {
    expect(() => toTwinPatch(input)).toThrow(UsageError);
  });

  it('parses repeated --property values, keeping = inside values', () => {
    expect(parseProperties(['a=1', 'b=x=y', 'c='])).toEqual({ a: '1', b: 'x=y', c: '' });
    expect(() => parseProperties(['novalue'])).toThrow(UsageError);
    expect(() => parseProperties(['=v'])).toThrow(UsageError);
  });

  it.each([
    ['1', 1],
    ['300', 300],
    ['2.5', 2.5],
  ])('accepts --timeout %s', (text, n) => {
    expect(parseTimeoutSeconds(text)).toBe(n);
  });

  it.each([['0'], ['301'], ['abc'], ['-5'], ['']])('refuses --timeout %j', (text) => {
    expect(() => parseTimeoutSeconds(text)).toThrow(UsageError);
  });

  it('allows 0 where the minimum is 0 (--connect-timeout) and names the option', () => {
    expect(parseTimeoutSeconds('0', '--connect-timeout', 0)).toBe(0);
    expect(() => parseTimeoutSeconds('-1', '--connect-timeout', 0)).toThrow(/--connect-timeout must be a number of seconds from 0 to 300/);
  });
});

describe('formatTelemetryLine', () => {
  const base = { seq: 1, endpoint: '$upstream', deviceId: 'dev1', enqueuedTime: '2026-01-01T00:00:00.000Z', systemProperties: {}, properties: {}, bodyEncoding: 'utf8' as const };

  it.each([
    [{ ...base, body: '{ "t": 1 }' }, '2026-01-01T00:00:00.000Z dev1 {"t":1}'],
    [{ ...base, moduleId: 'm', outputName: 'out1', body: 'plain', properties: { a: '1' } }, '2026-01-01T00:00:00.000Z dev1/m output out1 "plain" [a=1]'],
    [{ ...base, body: '//4=', bodyEncoding: 'base64' as const }, '2026-01-01T00:00:00.000Z dev1 base64://4='],
    [{ ...base, body: 'x', properties: { k: 'a\u001b[2Jb' } }, '2026-01-01T00:00:00.000Z dev1 "x" [k=a\\u001b[2Jb]'],
  ])('formats %j', (event, line) => {
    expect(formatTelemetryLine(event)).toBe(line);
  });
});
