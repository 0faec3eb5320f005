import { describe, expect, it } from 'vitest';
import { evaluateCondition } from '../../../runtime/route-language/condition-evaluator.js';
import { parseRoute } from '../../../runtime/route-language/route-parser.js';
import { messageSourcePath, normalizedSourcePath, sourceMatches, type RoutingMessage } from '../../../runtime/route-language/routing-message.js';

const json = (body: unknown, ct = 'application/json', ce = 'utf-8'): Partial<RoutingMessage> => ({
  body: Buffer.from(JSON.stringify(body)),
  systemProperties: { contentType: ct, contentEncoding: ce },
});

const msg = (over: Partial<RoutingMessage> = {}): RoutingMessage => ({
  body: over.body ?? Buffer.alloc(0),
  properties: over.properties ?? {},
  systemProperties: over.systemProperties ?? {},
});

const matches = (condition: string, message: RoutingMessage): boolean => {
  const r = parseRoute(`FROM /* WHERE ${condition} INTO $upstream`);
  if (!r.ok) throw new Error(`${condition}: ${r.error.message}`);
  return evaluateCondition(r.route.condition, message);
};

const sensor = msg({
  body: Buffer.from(JSON.stringify({ machine: { temperature: 31.5, on: true, tags: ['a', 'b'], nothing: null }, name: 'Mixer' })),
  properties: { alert: 'high', $connectionModuleId: 'spoofed', level: '7' },
  systemProperties: {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    connectionDeviceId: 'edge-1',
    connectionModuleId: 'sensor',
    outputName: 'out1',
    messageId: 'm-1',
    correlationId: 'c-1',
  },
});

describe('evaluateCondition', () => {
  it.each<[string, boolean]>([
    // application properties
    ['alert = "high"', true],
    ["alert = 'low'", false],
    ['alert != "low"', true],
    ['alert <> "high"', false],
    ['missing = "x"', false],
    ['missing != "x"', false], // undefined operand: never true
    ['NOT (missing = "x")', false],
    ['AS_NUMBER(level) > 5', true],
    ['AS_NUMBER(alert) > 5', false],
    // system properties and the application-property precedence rule
    ['$connectionDeviceId = "edge-1"', true],
    ['$connectionModuleId = "spoofed"', true], // app property "$connectionModuleId" wins
    ['{$connectionModuleId} = "sensor"', true], // escaped: system property only
    ['$outputName = "out1"', true],
    ['$messageId = "m-1" AND $correlationId = "c-1" AND $cid = "c-1"', true],
    ['$contentType = "application/json" AND $contentEncoding = "utf-8"', true],
    ['IS_DEFINED($userId)', false],
    ['NOT IS_DEFINED($userId)', true],
    // body queries
    ['$body.machine.temperature > 30', true],
    ['$body.machine.temperature > 40', false],
    ['$body.machine.temperature = 31.5', true],
    ['$body.machine.on = true', true],
    ['$body.machine.on', true],
    ['$body.machine.tags[1] = "b"', true],
    ['$body.machine.tags[5] = "b"', false],
    ['IS_NULL($body.machine.nothing)', true],
    ['IS_DEFINED($body.machine)', false], // objects are not values
    ['IS_DEFINED($body.machine.tags)', false],
    ['$body.name = "Mixer"', true],
    ['$body.name > 3', false], // mixed dynamic types: undefined
    ['LOWER($body.name) = "mixer" AND UPPER($body.name) = "MIXER"', true],
    ['LENGTH($body.name) = 5', true],
    ['CONTAINS($body.name, "xe") AND STARTS_WITH($body.name, "Mi") AND ENDS_WITH($body.name, "er")', true],
    ['INDEX_OF($body.name, "x") = 2 AND INDEX_OF($body.name, "z") = -1', true],
    ['SUBSTRING($body.name, 1, 3) = "ixe" AND SUBSTRING($body.name, 2) = "xer"', true],
    ['SUBSTRING($body.name, 9) = ""', false],
    ['CONCAT($body.name, "-", alert) = "Mixer-high"', true],
    ['$body.name || "!" = "Mixer!"', true],
    ['ABS(0 - $body.machine.temperature) = 31.5', true],
    ['FLOOR($body.machine.temperature) = 31 AND CEILING($body.machine.temperature) = 32', true],
    ['POWER(2, 10) = 1024 AND SQUARE(3) = 9 AND SQRT(16) = 4 AND SIGN(-2) = -1', true],
    ['EXP(0) = 1', true],
    ['IS_NUMBER($body.machine.temperature) AND IS_STRING($body.name) AND IS_BOOL($body.machine.on)', true],
    // arithmetic and literals
    ['1 + 2 * 3 = 7', true],
    ['(1 + 2) * 3 = 9', true],
    ['7 % 4 = 3 AND 0x1F = 31 AND 1.5e1 = 15 AND -2 < 0', true],
    ['1 / 0 = 1', false], // non-finite: undefined
    ['undefined ?? true', true],
    ['$body.missing ?? 5 = 5', true],
    ['null = null', true],
    // three-valued logic (Bool.cs)
    ['missing = "x" AND false', false],
    ['missing = "x" OR true', true],
    ['missing = "x" OR false', false],
    ['NOT (missing = "x" AND true)', false],
    ['NOT (missing = "x" AND false)', true],
    ['NOT (false AND missing = "x")', true],
    ['true OR missing = "x"', true],
    ['NOT (false OR missing = "x")', false],
    ['true AND true', true],
    ['false OR false', false],
    ['"a" < "b" AND "b" >= "b" AND false < true', true],
  ])('%s → %s', (condition, expected) => {
    expect(matches(condition, sensor)).toBe(expected);
  });

  it('is true without a condition', () => {
    expect(evaluateCondition(undefined, msg())).toBe(true);
  });

  it('reads $body only for application/json with a utf-8/16/32 encoding', () => {
    const body = { t: 5 };
    expect(matches('$body.t = 5', msg(json(body)))).toBe(true);
    expect(matches('$body.t = 5', msg(json(body, 'Application/JSON', 'UTF-8')))).toBe(true);
    expect(matches('$body.t = 5', msg(json(body, 'text/plain')))).toBe(false);
    expect(matches('$body.t = 5', msg({ body: Buffer.from('{"t":5}'), systemProperties: { contentType: 'application/json' } }))).toBe(false);
    expect(matches('$body.t = 5', msg({ ...json(body), systemProperties: { contentType: 'application/json', contentEncoding: 'latin1' } }))).toBe(false);
  });

  it('decodes utf-16 and utf-32 bodies', () => {
    const sys = (ce: string) => ({ contentType: 'application/json', contentEncoding: ce });
    const utf16 = Buffer.from('{"t":"ü"}', 'utf16le');
    expect(matches('$body.t = "ü"', msg({ body: utf16, systemProperties: sys('utf-16') }))).toBe(true);
    const text = '{"t":"😀"}';
    const utf32 = Buffer.alloc([...text].length * 4);
    [...text].forEach((ch, i) => utf32.writeUInt32LE(ch.codePointAt(0) as number, i * 4));
    expect(matches('$body.t = "😀"', msg({ body: utf32, systemProperties: sys('utf-32') }))).toBe(true);
  });

  it('treats a malformed JSON body as undefined instead of throwing', () => {
    const m = msg({ body: Buffer.from('{"t": 5'), systemProperties: { contentType: 'application/json', contentEncoding: 'utf-8' } });
    expect(matches('$body.t = 5', m)).toBe(false);
    expect(matches('NOT IS_DEFINED($body.t)', m)).toBe(true);
  });

  it('survives hostile bodies: deeply nested JSON, huge strings, binary garbage', () => {
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const sys = { contentType: 'application/json', contentEncoding: 'utf-8' };
    expect(matches('$body.a.a = 1', msg({ body: Buffer.from(deep), systemProperties: sys }))).toBe(false);
    expect(matches('IS_DEFINED($body.a)', msg({ body: Buffer.from(deep), systemProperties: sys }))).toBe(false);
    const huge = JSON.stringify({ s: 'x'.repeat(250_000) });
    expect(matches('LENGTH($body.s) = 250000', msg({ body: Buffer.from(huge), systemProperties: sys }))).toBe(true);
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    for (const ce of ['utf-8', 'utf-16', 'utf-32']) {
      expect(matches('IS_DEFINED($body.x)', msg({ body: garbage, systemProperties: { contentType: 'application/json', contentEncoding: ce } }))).toBe(false);
    }
  });

  it('does not read inherited object keys as properties or body fields', () => {
    expect(matches('IS_DEFINED(constructor)', msg())).toBe(false);
    expect(matches('IS_DEFINED($body.toString)', msg(json({})))).toBe(false);
    expect(matches('IS_DEFINED($toString)', msg())).toBe(false);
  });

  it('lets an application property named like a body query win unless escaped', () => {
    const m = msg({ ...json({ x: 'body' }), properties: { '$body.x': 'prop' } });
    expect(matches('$body.x = "prop"', m)).toBe(true);
    expect(matches('{$body.x} = "body"', m)).toBe(true);
  });

  it('evaluates twin_change_includes on the notification body', () => {
    const r = parseRoute('FROM /twinChangeNotifications WHERE twin_change_includes(properties.reported.temp) INTO $upstream');
    if (!r.ok) throw new Error(r.error.message);
    const yes = msg(json({ properties: { reported: { temp: 3 } } }));
    const no = msg(json({ properties: { reported: { other: 3 } } }));
    expect(evaluateCondition(r.route.condition, yes)).toBe(true);
    expect(evaluateCondition(r.route.condition, no)).toBe(false);
  });
});

describe('message sources', () => {
  it.each([
    [{ connectionDeviceId: 'd', connectionModuleId: 'm1', outputName: 'out1' }, '/messages/modules/m1/outputs/out1'],
    [{ connectionDeviceId: 'd', connectionModuleId: 'm1' }, '/messages/modules/m1'],
    [{ connectionDeviceId: 'leaf' }, '/messages'],
    [{ connectionDeviceId: 'd', connectionModuleId: 'm1', messageType: 'twinChangeNotification' }, '/twinChangeNotifications'],
  ])('assigns %j the source %s', (systemProperties, path) => {
    expect(messageSourcePath(msg({ systemProperties }))).toBe(path);
  });

  it.each<[string, string, boolean]>([
    ['/*', '/messages/modules/m1/outputs/out1', true],
    ['/*', '/twinChangeNotifications', true],
    ['/messages/*', '/messages', true],
    ['/messages/*', '/messages/modules/m1', true],
    ['/messages/*', '/twinChangeNotifications', false],
    ['/messages/modules/*', '/messages', false],
    ['/messages/modules/m1/*', '/messages/modules/m1', true],
    ['/messages/modules/m1/*', '/messages/modules/m1/outputs/x', true],
    ['/messages/modules/m1/*', '/messages/modules/m10/outputs/x', false],
    ['/messages/modules/M1/outputs/*', '/messages/modules/m1/outputs/x', true],
    ['/messages/modules/m1/outputs/*', '/messages/modules/m1', false],
    ['/messages/modules/m1/outputs/out1', '/messages/modules/m1/outputs/out1', true],
    ['/messages/modules/m1/outputs/out1', '/messages/modules/m1/outputs/out10', false],
    ['/twinChangeNotifications', '/twinChangeNotifications', true],
  ])('route source %s matches %s: %s', (source, path, expected) => {
    const r = parseRoute(`FROM ${source} INTO $upstream`);
    if (!r.ok) throw new Error(r.error.message);
    expect(sourceMatches(r.route.sourcePrefix, path)).toBe(expected);
  });

  it.each([
    ['/messages/modules/M1/outputs/Out1', '/messages/modules/m1/outputs/out1/'],
    ['/messages//', '/messages/'],
    ['/twinChangeNotifications', '/twinchangenotifications/'],
  ])('compares the message source %s as %s (once per message, whatever the number of routes)', (path, normalized) => {
    expect(normalizedSourcePath(path)).toBe(normalized);
  });
});
