import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Permission } from './service-auth.js';

/** Checks a `SharedAccessSignature` for one permission on one path (401 ServiceApiError otherwise); returns the policy name. */
export type AuthorizeToken = (token: string | undefined, permission: Permission, path: string) => string;

/**
 * A browser front served on the service API's port (docs/web.md): its own paths (static files,
 * sign-in, event streams) and the session cookie that stands in for the `Authorization` header
 * on the REST routes. The service API knows only this shape; `runtime/web/` implements it and
 * the composition root passes it in.
 */
export interface WebFront {
  /** True for the paths the front answers itself (`/`, its assets, `/web/...`). */
  owns(pathname: string): boolean;
  /** Answers one of its own paths; throws ServiceApiError for refusals. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, authorize: AuthorizeToken): Promise<void>;
  /** The SAS token a session cookie carries, if the request has one. */
  sessionToken(headers: IncomingHttpHeaders): string | undefined;
}

/**
 * The header every cookie-authenticated request other than GET must carry. A cross-site page
 * cannot send a custom header without a CORS preflight, which the service API never grants, so
 * a forged form post never acts with the session (OWASP "Cross-Site Request Forgery Prevention
 * Cheat Sheet", custom request headers).
 */
export const WEB_REQUEST_HEADER = 'x-edgemu-web';
