import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { formatRouteError, parsePairs } from '../../../runtime/route-language/route-report.js';

const run = (argv: string[]) => runCli(argv);

describe('edgemu route', () => {
  it('check: exit 0 for valid routes, 1 with a caret under the error otherwise', async () => {
    const good = await run(['route', 'check', 'FROM /messages/* INTO $upstream']);
    expect(good).toMatchObject({ code: 0, out: 'valid: FROM /messages/* INTO $upstream\n' });
    const bad = await run(['route', 'check', 'FROM /messages/* INTO $elsewhere']);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('error at position 22: unknown system endpoint "$elsewhere"');
    expect(bad.out).toContain(`\n  ${' '.repeat(22)}^\n`);
  });

  it('check --json reports each route', async () => {
    const r = await run(['route', 'check', '--json', 'FROM /* INTO $upstream', 'FROM']);
    expect(JSON.parse(r.out)).toMatchObject([{ valid: true, source: '/*' }, { valid: false, error: { position: 4 } }]);
  });

  it('test: evaluates source and condition against a sample message', async () => {
    const route = 'FROM /messages/modules/sensor/outputs/* WHERE $body.t > 30 AND alert = "high" INTO BrokeredEndpoint("/modules/f/inputs/i")';
    const hit = await run(['route', 'test', route, '--output', 'o1', '--body', '{"t":31}', '--property', 'alert=high', '--json']);
    expect(JSON.parse(hit.out)).toMatchObject({ matches: true, messageSource: '/messages/modules/sensor/outputs/o1', sink: 'BrokeredEndpoint("/modules/f/inputs/i")' });
    const noOutput = await run(['route', 'test', route, '--body', '{"t":31}', '--property', 'alert=high', '--json']);
    expect(JSON.parse(noOutput.out)).toMatchObject({ matches: false, sourceMatches: false });
    const cold = await run(['route', 'test', route, '--output', 'o1', '--body', '{"t":3}', '--property', 'alert=high']);
    expect(cold.out).toContain('not routed');
  });

  it('test: a malformed --property is a usage error (exit 2)', async () => {
    const r = await run(['route', 'test', 'FROM /* INTO $upstream', '--property', 'novalue']);
    expect(r.code).toBe(2);
  });
});

describe('route error formatting', () => {
  it('windows long routes around the position', () => {
    const text = `FROM /* WHERE ${'a = "x" AND '.repeat(30)}@ INTO $upstream`;
    const at = text.indexOf('@');
    const out = formatRouteError(text, { message: 'unexpected character "@"', position: at });
    const [, line, caret] = out.split('\n');
    expect(line!.length).toBeLessThan(130);
    expect(line![caret!.indexOf('^')]).toBe('@');
  });

  it('parses NAME=VALUE pairs and refuses others', () => {
    expect(parsePairs(['a=1', 'b=x=y'], '--p')).toEqual({ a: '1', b: 'x=y' });
    expect(() => parsePairs(['=v'], '--p')).toThrow('NAME=VALUE');
  });
});
