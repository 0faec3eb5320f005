import { describe, expect, it } from 'vitest';
import { MAX_CONDITION_DEPTH, MAX_ROUTE_LENGTH, parseRoute, sourcePrefix } from '../../../runtime/route-language/route-parser.js';
import type { ParsedRoute } from '../../../runtime/route-language/route-ast.js';

const ok = (text: string): ParsedRoute => {
  const r = parseRoute(text);
  if (!r.ok) throw new Error(`expected ${text} to parse: ${r.error.message} @${r.error.position}`);
  return r.route;
};

describe('parseRoute: accepted routes', () => {
  it.each([
    ['FROM /messages/* INTO $upstream', '/messages/*', '/messages/', { kind: 'upstream' }],
    ['SELECT * FROM /* INTO $upstream', '/*', '/', { kind: 'upstream' }],
    ['select * from /messages/modules/m1/outputs/out1 into $UPSTREAM', '/messages/modules/m1/outputs/out1', '/messages/modules/m1/outputs/out1/', { kind: 'upstream' }],
    [
      'FROM /messages/modules/sensor/outputs/* INTO BrokeredEndpoint("/modules/filter/inputs/input1")',
      '/messages/modules/sensor/outputs/*',
      '/messages/modules/sensor/outputs/',
      { kind: 'moduleInput', moduleId: 'filter', inputName: 'input1' },
    ],
    [
      "FROM /messages/modules/1sensor/* INTO brokeredendpoint('modules/Filter_2/inputs/in-1/')",
      '/messages/modules/1sensor/*',
      '/messages/modules/1sensor/',
      { kind: 'moduleInput', moduleId: 'Filter_2', inputName: 'in-1' },
    ],
    ['FROM /twinChangeNotifications INTO $upstream', '/twinChangeNotifications', '/twinchangenotifications/', { kind: 'upstream' }],
    ['  FROM /messages/*  /* a comment */ INTO   $upstream  ', '/messages/*', '/messages/', { kind: 'upstream' }],
  ])('parses %s', (text, source, prefix, sink) => {
    const route = ok(text);
    expect(route.source).toBe(source);
    expect(route.sourcePrefix).toBe(prefix);
    expect(route.sink).toEqual(sink);
    expect(route.condition).toBeUndefined();
    expect(route.text).toBe(text);
  });

  it.each([
    'alert = "high"',
    "alert = 'high'",
    'alert <> "low" AND alert != "none"',
    '$connectionModuleId = "sensor"',
    'NOT IS_DEFINED($connectionModuleId)',
    '$body.temperature > 30',
    '$body.machine.temperature >= 21.5e0',
    '$body.readings[0].value < -3',
    '{$contentType} = "application/json"',
    'is_string($body.x) OR is_number($body.x) OR is_bool($body.x) OR is_null($body.x)',
    'LOWER(alert) = "high" AND UPPER(alert) = "HIGH"',
    'CONTAINS(alert, "ig") AND STARTS_WITH(alert, "h") AND ENDS_WITH(alert, "h")',
    'LENGTH(alert) = 4 AND INDEX_OF(alert, "g") = 2',
    'SUBSTRING(alert, 1) = "igh" AND SUBSTRING(alert, 0, 2) = "hi"',
    'CONCAT(a, b, c) = "abc" AND a || b = "ab"',
    'ABS($body.delta) > 0x10 AND FLOOR($body.x) = CEILING($body.x) - 1',
    'AS_NUMBER(temp) > 30',
    '($body.a + 2) * 3 % 4 / 5 - 1 = 0',
    'undefined ?? true',
    '$body.x ?? 3 = 3',
    'a = "x" /* comment */ OR b = "y"',
    'alert = "quote \\" and \\\' and \\\\ and \\u0041"',
    '$iothub-interface-id = "urn:x"',
    'true',
  ])('parses the condition %s', (condition) => {
    const route = ok(`FROM /messages/* WHERE ${condition} INTO $upstream`);
    expect(route.condition).toBeDefined();
  });

  it('binds NOT tighter than comparison (so NOT on a string property is a type error, as in edgeHub)', () => {
    const refused = parseRoute('FROM /* WHERE NOT a = "x" INTO $upstream');
    expect(refused).toMatchObject({ ok: false, error: { position: 14 } });
    const r = ok('FROM /* WHERE NOT (a = "x") OR b = "y" AND c = "z" INTO $upstream');
    expect(r.condition).toMatchObject({
      kind: 'binary',
      op: 'OR',
      left: { kind: 'unary', op: 'NOT', operand: { kind: 'binary', op: '=' } },
      right: { kind: 'binary', op: 'AND' },
    });
  });

  it('unescapes string literals and keeps the tree shape', () => {
    const r = ok(`FROM /* WHERE a = "q\\"\\u0041" OR b = 'x' AND c = 'y' INTO $upstream`);
    expect(r.condition).toMatchObject({
      kind: 'binary',
      op: 'OR',
      left: { kind: 'binary', op: '=', left: { kind: 'appProperty', name: 'a' }, right: { kind: 'literal', value: 'q"A' } },
      right: { kind: 'binary', op: 'AND' },
    });
  });

  it('reads $body paths into segments and array indexes', () => {
    const r = ok('FROM /* WHERE $body.a.b[2].c = 1 INTO $upstream');
    expect(r.condition).toMatchObject({ left: { kind: 'bodyQuery', path: ['a', 'b', 2, 'c'], escaped: false } });
  });
});

describe('parseRoute: refused routes point at the problem', () => {
  it.each([
    ['', 'empty', 0],
    ['INTO $upstream', 'expected FROM', 0],
    ['FROM messages/* INTO $upstream', 'source path', 5],
    ['FROM /messages//x INTO $upstream', 'empty segment', 15],
    ['FROM /messages/* $upstream', 'expected WHERE or INTO', 17],
    ['FROM /messages/* INTO', 'expected a sink', 21],
    ['FROM /messages/* INTO $downstream', '"$downstream"', 22],
    ['FROM /messages/* INTO EventHub("x")', '"EventHub"', 22],
    ['FROM /messages/* INTO BrokeredEndpoint("/modules/a/outputs/b")', '"/modules/a/outputs/b"', 39],
    ['FROM /messages/* INTO BrokeredEndpoint("/modules/a/inputs/b/c")', 'expected "/modules/<module>/inputs/<input>"', 39],
    ['FROM /messages/* INTO BrokeredEndpoint(/modules/a/inputs/b)', 'quoted address', 39],
    ['FROM /messages/* INTO BrokeredEndpoint("/modules/a b/inputs/in")', 'invalid module id "a b"', 39],
    ['FROM /messages/* INTO BrokeredEndpoint("/modules/a/inputs/in#1")', 'invalid input name "in#1"', 39],
    ['FROM /messages/* INTO BrokeredEndpoint("/modules/a/inputs/in+")', 'invalid input name "in+"', 39],
    ['FROM /messages/* INTO BrokeredEndpoint("/modules/a/inputs/b"', '")"', 60],
    ['FROM /messages/* INTO $upstream extra', 'unexpected "extra"', 32],
    ['FROM /messages/* WHERE INTO $upstream', 'condition after WHERE', 23],
    ['FROM /messages/* WHERE a = "x INTO $upstream', 'unterminated string', 27],
    ["FROM /messages/* WHERE a = 'x INTO $upstream", 'unterminated string', 27],
    ['FROM /messages/* WHERE a = "\\n" INTO $upstream', 'invalid escape "\\\\n"', 28],
    ['FROM /messages/* WHERE (a = "x" INTO $upstream', 'missing closing ")"', 32],
    ['FROM /messages/* WHERE a = "x") INTO $upstream', 'expected an operator or INTO but found ")"', 30],
    ['FROM /messages/* WHERE temp > 30 INTO $upstream', 'application property "temp" is a string', 28],
    ['FROM /messages/* WHERE a + 1 = 2 INTO $upstream', 'needs number operands', 25],
    ['FROM /messages/* WHERE NOT a INTO $upstream', 'NOT needs a boolean', 23],
    ['FROM /messages/* WHERE FOO(a) INTO $upstream', 'unknown function "FOO"', 23],
    ['FROM /messages/* WHERE LOWER(a, b) = "x" INTO $upstream', 'takes 1 argument but got 2', 23],
    ['FROM /messages/* WHERE SUBSTRING(a) = "x" INTO $upstream', 'takes 2 to 3 arguments but got 1', 23],
    ['FROM /messages/* WHERE ABS(a) = 1 INTO $upstream', 'argument 1 of "ABS" must be a number', 27],
    ['FROM /messages/* WHERE a = @ INTO $upstream', 'unexpected character "@"', 27],
    ['FROM /messages/* WHERE $ = "x" INTO $upstream', 'property name after "$"', 23],
    ['FROM /messages/* WHERE $body..x = 1 INTO $upstream', 'invalid body query path', 29],
    ['FROM /messages/* WHERE 0x = 1 INTO $upstream', 'invalid hex number', 23],
    ['FROM /messages/* WHERE a = "x" AND INTO $upstream', 'expected a value but found "INTO"', 35],
    ['FROM /messages/* WHERE twin_change_includes(properties.reported.x) INTO $upstream', 'only valid in routes FROM /twinChangeNotifications', 23],
  ])('refuses %j with a message containing %s at %i', (text, message, position) => {
    const r = parseRoute(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain(message);
    expect(r.error.position).toBe(position);
  });

  it('accepts twin_change_includes on /twinChangeNotifications', () => {
    expect(parseRoute('FROM /twinChangeNotifications WHERE twin_change_includes(properties.reported.temp) INTO $upstream').ok).toBe(true);
  });

  it('treats an unclosed /* as text, not as a comment', () => {
    expect(ok('FROM /* INTO $upstream').source).toBe('/*');
    const r = parseRoute('FROM /messages/* WHERE a = "x" /* unclosed INTO $upstream');
    expect(r.ok).toBe(false);
  });
});

describe('parseRoute: hostile input is refused fast', () => {
  const refusedQuickly = (text: string, message: string) => {
    const r = parseRoute(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(message);
  };

  it('refuses a megabyte of garbage by length', () => {
    refusedQuickly('x'.repeat(1024 * 1024), `limit is ${MAX_ROUTE_LENGTH}`);
  });

  it('refuses deep parenthesis nesting without exhausting the stack', () => {
    const deep = 'FROM /* WHERE ' + '('.repeat(10_000) + 'true' + ')'.repeat(10_000) + ' INTO $upstream';
    refusedQuickly(deep.slice(0, MAX_ROUTE_LENGTH), `deeper than ${MAX_CONDITION_DEPTH}`);
  });

  it('refuses long NOT chains and long operator chains by depth', () => {
    refusedQuickly('FROM /* WHERE ' + 'NOT '.repeat(5000) + 'true INTO $upstream', `deeper than ${MAX_CONDITION_DEPTH}`);
    refusedQuickly('FROM /* WHERE ' + Array(3000).fill('true').join(' AND ') + ' INTO $upstream', `deeper than ${MAX_CONDITION_DEPTH}`);
    refusedQuickly('FROM /* WHERE ' + 'ABS('.repeat(5000) + '1' + ')'.repeat(5000) + ' = 1 INTO $upstream', `deeper than ${MAX_CONDITION_DEPTH}`);
  });

  it('accepts nesting right up to the limit', () => {
    const n = MAX_CONDITION_DEPTH - 2;
    expect(parseRoute('FROM /* WHERE ' + '('.repeat(n) + 'true' + ')'.repeat(n) + ' INTO $upstream').ok).toBe(true);
  });

  it('refuses a huge string literal cut off by the length cap and an unbalanced quote', () => {
    refusedQuickly(`FROM /* WHERE a = "${'z'.repeat(MAX_ROUTE_LENGTH)}" INTO $upstream`, 'limit');
    refusedQuickly(`FROM /* WHERE a = "${'z'.repeat(20_000)} INTO $upstream`, 'unterminated string');
  });

  it('never throws on random input', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = 'FROM WHERE INTO SELECT AND OR NOT $body. ()"\'\\/*,+-<>=!?{}[]0123456789 abc$upstream';
    for (let i = 0; i < 2000; i += 1) {
      const len = Math.floor(rand() * 120);
      let s = '';
      for (let j = 0; j < len; j += 1) s += alphabet[Math.floor(rand() * alphabet.length)];
      const r = parseRoute(s);
      if (!r.ok) {
        expect(r.error.position).toBeGreaterThanOrEqual(0);
        expect(r.error.position).toBeLessThanOrEqual(s.length);
      }
    }
  });

  it('refuses non-string input', () => {
    expect(parseRoute(42 as unknown as string).ok).toBe(false);
  });
});

describe('sourcePrefix', () => {
  it.each([
    ['/*', '/'],
    ['/messages/*', '/messages/'],
    ['/messages/modules/M1/', '/messages/modules/m1/'],
    ['/messages/modules/m1/outputs/out1', '/messages/modules/m1/outputs/out1/'],
  ])('normalizes %s to %s', (source, prefix) => {
    expect(sourcePrefix(source)).toBe(prefix);
  });
});
