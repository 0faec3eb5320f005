import { describe, expect, it } from 'vitest';
import { checkCreateOptionsShape, joinCreateOptions } from '../../../runtime/manifest/create-options.js';

describe('joinCreateOptions', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['no createOptions', { image: 'x' }, {}],
    ['an empty string', { createOptions: '' }, {}],
    ['blanks', { createOptions: '  ' }, {}],
    ['"null"', { createOptions: 'null' }, {}],
    ['one chunk', { createOptions: '{"Cmd":["a"]}' }, { Cmd: ['a'] }],
    ['three chunks in any key order', { createOptions02: '}}', createOptions: '{"Labels":', createOptions01: '{"a":"b"' }, { Labels: { a: 'b' } }],
    ['lower-case chunk keys', { createoptions: '{"a":', createoptions01: '1}' }, { a: 1 }],
  ])('parses %s', (_what, settings, expected) => {
    const r = joinCreateOptions(settings);
    expect(r.ok && r.value).toEqual(expected);
  });

  it('keeps the joined text for reporting settings back', () => {
    const r = joinCreateOptions({ createOptions: '{"a":', createOptions01: ' 1}' });
    expect(r.ok && r.raw).toBe('{"a": 1}');
    expect(r.ok && r.chunkKeys).toEqual(['createOptions', 'createOptions01']);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['a gap', { createOptions: '{', createOptions02: '}' }, 'createOptions02', 'expected "createOptions01"'],
    ['no first chunk', { createOptions01: '{}' }, 'createOptions01', 'no preceding "createOptions"'],
    ['one-digit numbering', { createOptions: '{', createOptions1: '}' }, 'createOptions1', 'expected "createOptions01"'],
    ['an object chunk after a string chunk', { createOptions: '{', createOptions01: { a: 1 } }, 'createOptions01', 'not valid JSON'],
    ['invalid JSON in the second chunk', { createOptions: '{"a":1,', createOptions01: '"b":}' }, 'createOptions01', 'in "createOptions01" at character 5'],
    ['an array', { createOptions: '[]' }, 'createOptions', 'JSON object'],
    ['a number', { createOptions: '42' }, 'createOptions', 'JSON object'],
  ])('names the chunk for %s', (_what, settings, key, words) => {
    const r = joinCreateOptions(settings);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.key).toBe(key);
      expect(r.message).toContain(words);
    }
  });

  it('refuses more than 100 chunks', () => {
    const settings: Record<string, string> = { createOptions: '{' };
    for (let i = 1; i <= 100; i++) settings[`createOptions${String(i).padStart(2, '0')}`] = ' ';
    const r = joinCreateOptions(settings);
    expect(r.ok).toBe(false);
  });

  it('accepts exactly 100 chunks', () => {
    const settings: Record<string, string> = { createOptions: '{' };
    for (let i = 1; i <= 98; i++) settings[`createOptions${String(i).padStart(2, '0')}`] = ' ';
    settings.createOptions99 = '}';
    expect(joinCreateOptions(settings).ok).toBe(true);
  });
});

describe('checkCreateOptionsShape', () => {
  it('accepts the usual Docker create options', () => {
    expect(
      checkCreateOptionsShape({
        Env: ['A=1', 'B='],
        Cmd: ['run'],
        Entrypoint: '/bin/sh',
        Labels: { a: 'b' },
        ExposedPorts: { '80/tcp': {}, '53/udp': {} },
        HostConfig: { Binds: ['/data:/data', 'vol:/x:ro'], PortBindings: { '80/tcp': [{ HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '' }] }, Privileged: false },
      }),
    ).toEqual([]);
  });

  it.each([
    ['C:\\ProgramData\\iotedge\\mgmt:C:\\ProgramData\\iotedge\\mgmt'],
    ['C:/Dev/opc/flattener:/d'],
    ['c:\\data:/data:ro'],
    ['/var/run:C:\\run'],
  ])('accepts the Windows bind %s with a warning (Docker on Windows takes it; a Linux node cannot)', (bind) => {
    const problems = checkCreateOptionsShape({ HostConfig: { Binds: [bind] } });
    expect(problems).toEqual([{ at: '/HostConfig/Binds/0', warning: true, message: expect.stringContaining('Linux node') }]);
  });

  it.each([
    ['an object', { createOptions: { HostConfig: { Privileged: true } } }, '{"HostConfig":{"Privileged":true}}', ['createOptions']],
    ['null', { createOptions: null }, '', ['createOptions']],
    ['an object split over chunks that join to JSON', { createOptions: '{"a":', createOptions01: 5, createOptions02: '}' }, '{"a":5}', ['createOptions01']],
  ])('joins a chunk written as %s by its JSON text, as edgeAgent does', (_what, settings, raw, nonStringKeys) => {
    const r = joinCreateOptions(settings);
    expect(r).toMatchObject({ ok: true, raw, nonStringKeys });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['Env not a list', { Env: 'A=1' }, '/Env'],
    ['Env entry not NAME=value', { Env: ['=1'] }, '/Env/0'],
    ['Cmd a number', { Cmd: 5 }, '/Cmd'],
    ['Labels with a number', { Labels: { a: 1 } }, '/Labels'],
    ['ExposedPorts a list', { ExposedPorts: ['80/tcp'] }, '/ExposedPorts'],
    ['an exposed port that is not a port', { ExposedPorts: { http: {} } }, '/ExposedPorts/http'],
    ['HostConfig a string', { HostConfig: 'x' }, '/HostConfig'],
    ['a bind without target', { HostConfig: { Binds: ['/data'] } }, '/HostConfig/Binds/0'],
    ['a relative bind target', { HostConfig: { Binds: ['/data:data'] } }, '/HostConfig/Binds/0'],
    ['PortBindings a list', { HostConfig: { PortBindings: [] } }, '/HostConfig/PortBindings'],
    ['a HostPort number', { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 80 }] } } }, '/HostConfig/PortBindings/80~1tcp'],
    ['a port key with a protocol typo', { HostConfig: { PortBindings: { '80/tpc': [] } } }, '/HostConfig/PortBindings/80~1tpc'],
  ])('reports %s', (_what, options, at) => {
    expect(checkCreateOptionsShape(options).map((p) => p.at)).toEqual([at]);
  });
});
