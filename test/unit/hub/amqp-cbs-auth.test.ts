import { describe, expect, it } from 'vitest';
import { answerPutToken, SAS_TOKEN_TYPE } from '../../../runtime/hub/amqp/cbs-auth.js';
import { createSasToken, encodeUriComponentStrict, signSasText } from '../../../runtime/hub/sas.js';

const deviceKey = Buffer.alloc(32, 1).toString('base64');
const policyKey = Buffer.alloc(32, 2).toString('base64');
const now = 1_700_000_000_000;
const se = now / 1000 + 3600;
const ctx = {
  identities: { keysOf: (r: { deviceId: string; moduleId?: string | undefined }) => (r.deviceId === 'd1' ? { primaryKey: deviceKey, secondaryKey: deviceKey } : undefined), acceptedHosts: ['hub.local'], nowMs: now },
  policies: { hostNames: ['hub.local'], policyKey: (n: string) => (n === 'iothubowner' ? [policyKey] : undefined), now },
};
const put = (token: unknown, extra: Record<string, unknown> = {}) => answerPutToken({ operation: 'put-token', type: SAS_TOKEN_TYPE, name: 'hub.local', token, ...extra }, ctx);

describe('CBS put-token', () => {
  it('grants a device its identity for a token signed with its key', () => {
    expect(put(createSasToken('hub.local:5671/devices/d1', deviceKey, se))).toEqual({ ok: true, claim: { kind: 'identity', identity: { deviceId: 'd1' }, expiresAtMs: se * 1000 } });
  });

  it('grants a service claim for a ServiceConnect policy token, also with an sb:// audience', () => {
    expect(put(createSasToken('hub.local', policyKey, se, 'iothubowner'))).toMatchObject({ ok: true, claim: { kind: 'service', policy: 'iothubowner' } });
    // Event Hubs clients sign sb:// audiences with the key's text, not its base64 bytes.
    const audience = encodeUriComponentStrict('sb://hub.local/edgemu');
    const sig = encodeUriComponentStrict(signSasText(audience, policyKey, se, 'utf8'));
    const ehToken = `SharedAccessSignature sr=${audience}&sig=${sig}&se=${se}&skn=iothubowner`;
    expect(put(ehToken, { name: 'sb://hub.local/edgemu' })).toMatchObject({ ok: true });
    expect(put(createSasToken('sb://hub.local/edgemu', policyKey, se, 'iothubowner'), { name: 'sb://hub.local/edgemu' })).toMatchObject({ ok: false, status: 401 });
  });

  it.each([
    ['a wrong key', createSasToken('hub.local/devices/d1', policyKey, se), 401, /signature/],
    ['an expired token', createSasToken('hub.local/devices/d1', deviceKey, now / 1000 - 1), 401, /expired/],
    ['an unknown device', createSasToken('hub.local/devices/d9', deviceKey, se), 401, /does not exist/],
    ['another host', createSasToken('elsewhere/devices/d1', deviceKey, se), 401, /not this hub/],
    ['an unknown policy', createSasToken('hub.local', policyKey, se, 'nobody'), 401, /does not exist/],
    ['text that is no token', 'hello', 400, /not a SharedAccessSignature/],
    ['a body that is no string', 42, 400, /not a SAS token/],
  ])('refuses %s', (_what, token, status, reason) => {
    const answer = put(token);
    expect(answer).toMatchObject({ ok: false, status });
    expect(answer.ok ? '' : answer.description).toMatch(reason);
  });

  it('refuses other operations and token types with 400', () => {
    expect(put('x', { operation: 'delete-token' })).toMatchObject({ ok: false, status: 400 });
    expect(put('x', { type: 'jwt' })).toMatchObject({ ok: false, status: 400 });
  });
});
