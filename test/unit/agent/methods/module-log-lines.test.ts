import { describe, expect, it } from 'vitest';
import { filterModuleLog, parseModuleLog, parseModuleLogLine } from '../../../../runtime/agent/methods/module-log-lines.js';
import { compileSafeRegex } from '../../../../runtime/agent/methods/safe-regex.js';

describe('parsing a module log line as edgeAgent does', () => {
  it.each([
    ['2026-12-02T00:50:25.123456789Z <4> disk almost full', { logLevel: 4, text: 'disk almost full', fullText: '<4> disk almost full', recordedMs: Date.parse('2026-12-02T00:50:25.123Z') }],
    ['2026-12-02T00:50:25Z plain line', { logLevel: 6, text: 'plain line', fullText: 'plain line', recordedMs: Date.parse('2026-12-02T00:50:25Z') }],
    ['<7>debug without space', { logLevel: 7, text: 'debug without space', recordedMs: undefined }],
    ['<6> 2019-02-14 16:15:35.243 -08:00 [INF] [EdgeHub] - Version', { logLevel: 6, text: '[INF] [EdgeHub] - Version', moduleTime: '2019-02-15T00:15:35.243Z' }],
    ['<x> not a level', { logLevel: 6, text: '<x> not a level' }],
    ['2026-12-02T00:50:25.5+01:00 <3> shifted', { logLevel: 3, recordedMs: Date.parse('2026-12-01T23:50:25.500Z') }],
  ])('%s', (line, expected) => {
    expect(parseModuleLogLine(line)).toMatchObject(expected);
  });

  it('splits a log into lines, dropping the newline that ends the last one and carriage returns', () => {
    expect(parseModuleLog('a\r\nb\n').map((l) => l.fullText)).toEqual(['a', 'b']);
    expect(parseModuleLog('')).toEqual([]);
  });
});

describe('filtering module log lines in edgeAgent order (window, level, regex, then tail)', () => {
  const log = parseModuleLog(
    [
      '2026-01-01T00:00:00Z <6> one',
      '2026-01-01T00:00:10Z <4> two warning',
      '2026-01-01T00:00:20Z <6> three',
      '2026-01-01T00:00:30Z <4> four warning',
      '2026-01-01T00:00:40Z <6> five',
    ].join('\n'),
  );
  const t0 = Date.parse('2026-01-01T00:00:00Z') / 1000;
  const texts = (f: Parameters<typeof filterModuleLog>[1]) => filterModuleLog(log, f).map((l) => l.text);
  it.each([
    ['no filter', {}, ['one', 'two warning', 'three', 'four warning', 'five']],
    ['tail 2', { tail: 2 }, ['four warning', 'five']],
    ['tail 0', { tail: 0 }, []],
    ['tail larger than the log', { tail: 99 }, ['one', 'two warning', 'three', 'four warning', 'five']],
    ['since', { since: t0 + 20 }, ['three', 'four warning', 'five']],
    ['until', { until: t0 + 10 }, ['one', 'two warning']],
    ['since and until', { since: t0 + 5, until: t0 + 35 }, ['two warning', 'three', 'four warning']],
    ['loglevel equal (not at most)', { loglevel: 4 }, ['two warning', 'four warning']],
    ['loglevel then tail', { loglevel: 4, tail: 1 }, ['four warning']],
    ['regex over the text', { regex: compileSafeRegex('^t', 'regex') }, ['two warning', 'three']],
    ['regex does not see the level prefix', { regex: compileSafeRegex('<6>', 'regex') }, []],
  ])('%s', (_name, filter, expected) => {
    expect(texts(filter)).toEqual(expected);
  });
});
