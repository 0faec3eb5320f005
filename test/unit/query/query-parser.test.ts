import { describe, expect, it } from 'vitest';
import { parseQuery, MAX_QUERY_LENGTH, MAX_QUERY_DEPTH } from '../../../runtime/query/index.js';

const ok = (text: string) => {
  const r = parseQuery(text);
  if (!r.ok) throw new Error(`${text}: ${r.error.message} at ${r.error.position}`);
  return r.query;
};

describe('parseQuery', () => {
  it('reads SELECT *, the collection, TOP and WHERE', () => {
    const q = ok("select top 5 * from devices where tags.env = 'prod'");
    expect(q.select).toEqual({ kind: 'star' });
    expect(q.top).toBe(5);
    expect(q.from).toBe('devices');
    expect(q.where).toMatchObject({ kind: 'binary', op: '=', left: { kind: 'path', segments: ['tags', 'env'] }, right: { kind: 'literal', value: 'prod' } });
  });

  it.each<[string, string[]]>([
    ['SELECT deviceId, tags.location.region FROM devices', ['deviceId', 'region']],
    ['SELECT deviceId AS id, properties.reported.$metadata AS meta FROM devices', ['id', 'meta']],
    ['SELECT tags.env, COUNT() AS n FROM devices GROUP BY tags.env', ['env', 'n']],
    ['SELECT COUNT() FROM devices', ['$1']],
    ['SELECT devices.deviceId FROM devices', ['deviceId']],
    ['SELECT moduleId FROM devices.modules WHERE devices.modules.moduleId = \'$edgeAgent\'', ['moduleId']],
    ["SELECT tags['site-a'] AS s FROM devices", ['s']],
  ])('names the select items of %s', (text, names) => {
    const q = ok(text);
    expect(q.select.kind === 'list' ? q.select.items.map((i) => i.name) : []).toEqual(names);
  });

  it('removes the collection prefix from paths', () => {
    const q = ok("SELECT * FROM devices.modules WHERE devices.deviceId = 'a' AND devices.modules.moduleId = 'm'");
    expect(q.from).toBe('devices.modules');
    expect(q.where).toMatchObject({ left: { left: { segments: ['deviceId'] } }, right: { left: { segments: ['moduleId'] } } });
  });

  it('keeps keywords after a dot as property names', () => {
    const q = ok('SELECT * FROM devices WHERE tags.from = 1 AND properties.desired.top.in = 2');
    expect(q.where).toMatchObject({ left: { left: { segments: ['tags', 'from'] } }, right: { left: { segments: ['properties', 'desired', 'top', 'in'] } } });
  });

  it('reads [[name]] after a dot as one property name with any characters', () => {
    const q = ok("SELECT deviceId FROM devices.modules WHERE configurations.[[prod-base:v1]].status = 'Applied'");
    expect(q.where).toMatchObject({ left: { segments: ['configurations', 'prod-base:v1', 'status'] } });
    expect(parseQuery('SELECT * FROM devices WHERE configurations.[[x.status = 1').ok).toBe(false);
    expect(parseQuery('SELECT * FROM devices WHERE configurations.[[]].status = 1').ok).toBe(false);
  });

  it('gives AND precedence over OR and NOT over AND', () => {
    const q = ok('SELECT * FROM devices WHERE NOT a = 1 AND b = 2 OR c = 3');
    expect(q.where).toMatchObject({ op: 'OR', left: { op: 'AND', left: { kind: 'unary', op: 'NOT' } } });
  });

  it('gives * precedence over +', () => {
    const q = ok('SELECT * FROM devices WHERE a + b * 2 > 3');
    expect(q.where).toMatchObject({ op: '>', left: { op: '+', right: { op: '*' } } });
  });

  it.each<[string, string, number]>([
    ['', 'empty', 0],
    ['SELECT', "expected a value", 6],
    ['SELECT * FROM', 'FROM takes devices', 13],
    ['SELECT * FROM jobs', 'FROM takes devices', 14],
    ['SELECT * FROM devices.jobs', 'job queries are not emulated', 22],
    ["SELECT * FROM devices WHERE tags.env = 'prod", 'unterminated string', 39],
    ['SELECT * FROM devices WHERE tags.env == 1', 'expected a value', 38],
    ['SELECT * FROM devices WHERE a = 1 = 2', 'do not chain', 34],
    ['SELECT * FROM devices WHERE IS_DEFINED()', 'takes 1 argument', 28],
    ['SELECT * FROM devices WHERE NO_SUCH(a)', 'unknown function', 28],
    ['SELECT * FROM devices WHERE COUNT() = 1', 'aggregate', 28],
    ['SELECT * FROM devices WHERE a IN (1, 2)', "expected \"[\"", 33],
    ['SELECT * FROM devices WHERE a = #', 'unexpected character', 32],
    ['SELECT * FROM devices GROUP BY tags.env', 'SELECT * cannot be grouped', 0],
    ['SELECT deviceId, COUNT() AS n FROM devices GROUP BY tags.env', 'must be an aggregate or appear in GROUP BY', 7],
    ['SELECT a + 1 FROM devices', 'needs a name', 7],
    ['SELECT deviceId, tags.deviceId FROM devices', 'twice', 17],
    ['SELECT TOP x * FROM devices', 'TOP needs a whole number', 11],
    ['SELECT * FROM devices extra', 'after the end of the query', 22],
    ['SELECT * FROM devices WHERE tags[x] = 1', 'quoted name or an array index', 33],
    ['SELECT * FROM devices WHERE 1abc = 1', 'invalid number', 28],
  ])('refuses %j with a message and its position', (text, message, position) => {
    const r = parseQuery(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain(message);
    expect(r.error.position).toBe(position);
  });

  it('bounds the query length and the nesting depth', () => {
    const long = parseQuery(`SELECT * FROM devices WHERE tags.a = '${'x'.repeat(MAX_QUERY_LENGTH)}'`);
    expect(long.ok || long.error.message).toMatch(/limit is 8192/);
    const deep = parseQuery(`SELECT * FROM devices WHERE ${'('.repeat(MAX_QUERY_DEPTH + 1)}a = 1${')'.repeat(MAX_QUERY_DEPTH + 1)}`);
    expect(deep.ok || deep.error.message).toMatch(/nested deeper/);
    const nots = parseQuery(`SELECT * FROM devices WHERE ${'NOT '.repeat(1000)} a = 1`);
    expect(nots.ok || nots.error.message).toMatch(/nested deeper/);
  });
});
