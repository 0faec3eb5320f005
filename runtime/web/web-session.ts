/**
 * The web view's session rules (docs/web.md "Access"), pure: the session cookie carries a
 * service-policy SAS token (so it is scoped like that policy and expires with it), the link
 * carries the same token in its fragment, and a service connection string can be traded for one.
 */

/** Name of the HttpOnly cookie holding the session's SAS token. */
export const SESSION_COOKIE = 'edgemu_session';

/** Longest session a sign-in with a connection string gets, in seconds (8 hours). */
export const SIGN_IN_TTL_SECONDS = 8 * 3600;

/** Reads one cookie from a `Cookie` header (RFC 6265 §5.4: `name=value` pairs separated by `; `). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The `Set-Cookie` value of a session: HttpOnly (page scripts never read the token), Secure
 * (HTTPS only), SameSite=Strict (no cross-site request carries it), Path=/, Max-Age = the
 * token's remaining lifetime (RFC 6265 §4.1; SameSite: draft-ietf-httpbis-rfc6265bis §4.1.2.7).
 */
export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; Path=/; HttpOnly; Secure; SameSite=Strict`;
}

/** The `Set-Cookie` value that ends a session. */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict`;
}

/** The `se` (expiry, seconds since the epoch) of a SAS token, if it has a valid one. */
export function tokenExpiry(token: string): number | undefined {
  const m = /(?:^|[ &])se=(\d{1,12})(?:&|$)/.exec(token);
  return m ? Number(m[1]) : undefined;
}

/** The link `edgemu up` and `edgemu web` print: the token travels in the fragment, which browsers never send to a server. */
export function webViewUrl(hostName: string, port: number, token: string): string {
  return `https://${hostName}:${port}/#token=${encodeURIComponent(token)}`;
}
