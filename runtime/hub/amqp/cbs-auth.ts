import { verifyIdentityToken, type AuthContext } from '../auth.js';
import type { IdentityRef } from '../identity-id.js';
import { verifyPolicyToken, type PolicyTokenContext } from '../policy-token.js';
import { parseSasToken } from '../sas.js';

/** What a valid put-token proves for the rest of the connection. */
export type CbsClaim = { kind: 'identity'; identity: IdentityRef; expiresAtMs: number } | { kind: 'service'; policy: string; expiresAtMs: number };

/** The answer to a put-token: IoT Hub's `status-code` / `status-description` application properties. */
export type CbsAnswer = { ok: true; claim: CbsClaim } | { ok: false; status: 400 | 401; description: string };

/** The token type of a SAS token put on `$cbs`. */
export const SAS_TOKEN_TYPE = 'servicebus.windows.net:sastoken';

/**
 * A CBS put-token request (learn.microsoft.com/azure/iot-hub/iot-hub-amqp-support "Claims-based
 * security"; AMQP CBS draft: `operation` = `put-token`, `type`, `name` = the audience, the token
 * as the body). A device or module token (no `skn`) is checked with the hub's one device SAS
 * rule (`auth.ts`); a policy token (`skn`) with the one service rule (`policy-token.ts`),
 * needing ServiceConnect. 401 for a token that does not authorize, 400 for a request that is
 * not a SAS put-token.
 */
export function answerPutToken(
  request: { operation: unknown; type: unknown; name: unknown; token: unknown },
  ctx: { identities: AuthContext; policies: PolicyTokenContext },
): CbsAnswer {
  if (request.operation !== 'put-token') return { ok: false, status: 400, description: `unsupported $cbs operation ${JSON.stringify(request.operation)}; only put-token is` };
  if (request.type !== SAS_TOKEN_TYPE) return { ok: false, status: 400, description: `unsupported token type ${JSON.stringify(request.type)}; use ${SAS_TOKEN_TYPE}` };
  if (typeof request.token !== 'string') return { ok: false, status: 400, description: 'the put-token body is not a SAS token string' };
  const audience = typeof request.name === 'string' ? request.name : '';
  if (parseSasToken(request.token)?.keyName !== undefined) {
    const path = audience.replace(/^[a-z]+:\/\//i, '').replace(/^[^/]*\/?/, '');
    const check = verifyPolicyToken(request.token, 'ServiceConnect', path, ctx.policies);
    if (!check.ok) return { ok: false, status: 401, description: check.message };
    return { ok: true, claim: { kind: 'service', policy: check.policy, expiresAtMs: check.token.expiry * 1000 } };
  }
  const check = verifyIdentityToken(request.token, ctx.identities);
  if (!check.ok) return { ok: false, status: check.malformed ? 400 : 401, description: check.reason };
  return { ok: true, claim: { kind: 'identity', identity: check.identity, expiresAtMs: check.expiresAtMs } };
}
