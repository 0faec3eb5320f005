import { describe, expect, it } from 'vitest';
import { checkAgentSchemaVersion, checkHubSchemaVersion, parseDotNetVersion } from '../../../runtime/manifest/schema-version.js';

describe('schemaVersion rules', () => {
  it.each([
    ['1.0', { major: 1, minor: 0, build: -1, revision: -1 }],
    ['1.1.0', { major: 1, minor: 1, build: 0, revision: -1 }],
    ['1.2.3.4', { major: 1, minor: 2, build: 3, revision: 4 }],
  ])('parses %s like System.Version', (text, expected) => {
    expect(parseDotNetVersion(text)).toEqual(expected);
  });

  it.each(['1', '1.', '.1', '1.2.3.4.5', 'v1.1', '1.a', '', '-1.0'])('does not parse %j', (text) => {
    expect(parseDotNetVersion(text)).toBeUndefined();
  });

  it.each<[unknown, boolean]>([
    ['1.0', true],
    ['1.1', true],
    ['1.1.0', true],
    ['1.0.9', true],
    ['1.1.0.0', false],
    ['1.1.1', false],
    ['1.2', false],
    ['0.1', false],
    [undefined, false],
    [1.1, false],
  ])('the agent accepts schemaVersion %j: %s', (value, ok) => {
    expect(checkAgentSchemaVersion(value).ok).toBe(ok);
  });

  it.each<[unknown, boolean]>([
    ['1.0', true],
    ['1.3', true],
    ['1.3.7', true],
    ['1.4', false],
    ['2.0', false],
    ['1', false],
    [undefined, false],
  ])('edgeHub accepts schemaVersion %j: %s', (value, ok) => {
    expect(checkHubSchemaVersion(value).ok).toBe(ok);
  });
});
