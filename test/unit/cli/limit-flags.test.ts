import { describe, expect, it } from 'vitest';
import { parseLimitFlags } from '../../../runtime/cli/limit-flags.js';

describe('parseLimitFlags', () => {
  it('sorts hub limits and service. limits into their options', () => {
    expect(parseLimitFlags(['writeBufferBytes=8388608', 'service.maxConnections=4096', 'twinGetsPerSecond=0'])).toEqual({
      hub: { writeBufferBytes: 8388608, twinGetsPerSecond: 0 },
      serviceApi: { maxConnections: 4096 },
    });
    expect(parseLimitFlags(undefined)).toEqual({ hub: {}, serviceApi: {} });
  });

  it.each([
    ['no =', 'writeBufferBytes', /NAME=VALUE/],
    ['an unknown name', 'bogus=1', /unknown --limit "bogus"; known: handshakeTimeoutMs/],
    ['a hub name with the service. prefix', 'service.writeBufferBytes=1', /unknown/],
    ['a negative value', 'maxConnections=-1', /≥ 0/],
    ['a non-number', 'maxConnections=many', /≥ 0/],
  ])('refuses %s naming the fix', (_what, flag, message) => {
    expect(() => parseLimitFlags([flag])).toThrow(message);
  });
});
