import { describe, expect, it } from 'vitest';
import { formatEnv, shellQuote } from '../../../runtime/module-run/index.js';

const env = { B: 'HostName=h;DeviceId=d;SharedAccessKey=k+/==', A: 'plain' };

describe('formatEnv', () => {
  it('prints sorted NAME=value lines for env files', () => {
    expect(formatEnv(env, 'dotenv')).toBe('A=plain\nB=HostName=h;DeviceId=d;SharedAccessKey=k+/==\n');
  });

  it.each([
    ['has space', '"has space"'],
    ['a#b', '"a#b"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['two\nlines', '"two\\nlines"'],
    ['back\\slash', '"back\\\\slash"'],
  ])('quotes %j in dotenv output', (value, printed) => {
    expect(formatEnv({ X: value }, 'dotenv')).toBe(`X=${printed}\n`);
  });

  it('prints export lines that a POSIX shell reads back verbatim', () => {
    expect(formatEnv({ X: "it's $HOME" }, 'shell')).toBe(`export X='it'\\''s $HOME'\n`);
    expect(shellQuote('')).toBe("''");
  });

  it('prints one JSON object for a launch configuration', () => {
    expect(JSON.parse(formatEnv(env, 'json'))).toEqual(env);
  });

  it('prints nothing for an empty environment', () => {
    expect(formatEnv({}, 'dotenv')).toBe('');
  });
});
