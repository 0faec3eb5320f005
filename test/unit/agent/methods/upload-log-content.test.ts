import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { filterLogEntries, logBlobFormat, parseLogLines, renderLogContent, uploadBlobName } from '../../../../runtime/agent/methods/upload-log-content.js';
import { selectModules } from '../../../../runtime/agent/methods/upload-module-logs.js';

const LOG = [
  '2026-12-02T01:00:00.000000001Z <6> sensor: sending message 1',
  '2026-12-02T01:00:01.000000001Z <3> sensor: connection lost',
  '2026-12-02T01:00:02.000000001Z no level prefix here',
  '',
].join('\n');

describe('upload log content', () => {
  it('parses timestamped lines with syslog prefixes, level 6 when a line has none', () => {
    expect(parseLogLines('sensor', LOG)).toEqual([
      { timestamp: '2026-12-02T01:00:00.000000001Z', moduleId: 'sensor', level: 6, log: 'sensor: sending message 1' },
      { timestamp: '2026-12-02T01:00:01.000000001Z', moduleId: 'sensor', level: 3, log: 'sensor: connection lost' },
      { timestamp: '2026-12-02T01:00:02.000000001Z', moduleId: 'sensor', level: 6, log: 'no level prefix here' },
    ]);
  });

  it('keeps lines of exactly the given level and matching the regex', () => {
    const entries = parseLogLines('sensor', LOG);
    expect(filterLogEntries(entries, { loglevel: 3 }).map((e) => e.log)).toEqual(['sensor: connection lost']);
    expect(filterLogEntries(entries, { regex: /message \d/ }).map((e) => e.log)).toEqual(['sensor: sending message 1']);
    expect(filterLogEntries(entries, {})).toHaveLength(3);
  });

  it('renders text lines or a JSON array, gzipped on request', () => {
    const entries = parseLogLines('sensor', LOG).slice(0, 2);
    expect(renderLogContent(entries, 'text', 'none').toString()).toBe('2026-12-02T01:00:00.000000001Z <6> sensor: sending message 1\n2026-12-02T01:00:01.000000001Z <3> sensor: connection lost\n');
    expect(JSON.parse(gunzipSync(renderLogContent(entries, 'json', 'gzip')).toString())).toEqual(entries);
  });

  it("names and labels blobs as edgeAgent does", () => {
    expect(uploadBlobName('myhub', 'edge-1', 'sensor', 'log.gz', Date.parse('2026-12-02T01:02:03.456Z'))).toBe('myhub/edge-1/sensor-2026-12-02--01-02-03.log.gz');
    expect(logBlobFormat('text', 'none')).toEqual({ extension: 'log', contentType: 'text/plain' });
    expect(logBlobFormat('json', 'gzip')).toEqual({ extension: 'json.gz', contentType: 'application/json', contentEncoding: 'gzip' });
  });

  it('selects each module matched by an item id once, with the first matching item\'s filter', () => {
    const items = [
      { id: /^sens/i, filter: { tail: 1 } },
      { id: /.*/i, filter: { tail: 2 } },
    ];
    expect(selectModules(items, ['SimulatedTemperatureSensor', 'sensor', 'filter'])).toEqual([
      { moduleId: 'SimulatedTemperatureSensor', filter: { tail: 2 } },
      { moduleId: 'sensor', filter: { tail: 1 } },
      { moduleId: 'filter', filter: { tail: 2 } },
    ]);
    expect(selectModules([{ id: /^nothing$/i, filter: {} }], ['sensor'])).toEqual([]);
  });
});
