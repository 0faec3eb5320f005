import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { apiErrors, parseJsonBody, readBody, WEB_REQUEST_HEADER, type AuthorizeToken, type WebFront } from '../service-api/index.js';
import { createSasToken, parseConnectionString, parseSasToken, verifyPolicyToken } from '../hub/index.js';
import type { Logger } from '../log/create-logger.js';
import type { Clock } from '../clock.js';
import { buildWebAssets, type WebAssets } from './web-bundle.js';
import { streamDevice, type DeviceStreamSource } from './device-stream.js';
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie, SIGN_IN_TTL_SECONDS, tokenExpiry } from './web-session.js';

export interface WebViewOptions {
  /** Host names a connection string's HostName may name (the service API's). */
  hostNames: readonly string[];
  /** The key(s) of a shared access policy by name (the service API's lookup). */
  policyKey(name: string): string | readonly string[] | undefined;
  /** The `api-version` the app sends. */
  apiVersion: string;
  source: DeviceStreamSource;
  logger: Logger;
  clock: Clock;
  /** Sessions from a connection-string sign-in last this long, in seconds (default 8 h). */
  signInTtlSeconds?: number;
}

const STATIC_PATHS = new Set(['/', '/index.html', '/app.js', '/app.css']);
const MAX_SESSION_BODY = 16 * 1024;

/**
 * Headers of every web view answer: the page may run only its own script and talk only to its
 * own origin (Content Security Policy Level 3), is never framed, and sends no referrer.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * The web view (docs/web.md) on the service API's port: the bundled app at `/`, the session
 * (`/web/session`: a link's token or a service connection string becomes an HttpOnly cookie)
 * and the device event stream (`/web/events`). Everything else the page reads and writes goes
 * through the REST routes, which accept the cookie in place of `Authorization` and check the
 * same permissions.
 */
export function createWebView(options: WebViewOptions): WebFront {
  const log = options.logger.child({ component: 'web' });
  let assets: Promise<WebAssets> | undefined;
  const loadAssets = () =>
    (assets ??= buildWebAssets({ apiVersion: options.apiVersion }).catch((error: unknown) => {
      assets = undefined;
      throw error;
    }));

  const tokenOf = (headers: IncomingHttpHeaders): string | undefined => readCookie(headers.cookie, SESSION_COOKIE);

  /**
   * A session token is any valid policy token of this hub, whatever its policy grants: each
   * request is then checked for its own permission (hub/policy-token.ts checks the permission last).
   */
  const sessionPolicy = (token: string | undefined): string => {
    if (!token) throw apiErrors.unauthorized('No web session: open the link `edgemu web` prints, or sign in with the service connection string.');
    const check = verifyPolicyToken(token, 'RegistryRead', '/', { hostNames: options.hostNames, policyKey: options.policyKey, now: options.clock.now() });
    if (check.ok) return check.policy;
    if (check.reason === 'no-permission') return parseSasToken(token.trim())!.keyName!;
    throw apiErrors.unauthorized(`The web session is not valid: ${check.message}.`);
  };

  const nowSeconds = () => Math.floor(options.clock.now() / 1000);

  async function session(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      // The page asks at start whether it is signed in: an answer, not a refusal (the data routes answer 401).
      const token = tokenOf(req.headers);
      try {
        const policy = sessionPolicy(token);
        return json(res, 200, { signedIn: true, policy, expiresAt: new Date((tokenExpiry(token!) ?? 0) * 1000).toISOString() });
      } catch (error) {
        return json(res, 200, { signedIn: false, reason: (error as Error).message });
      }
    }
    if (req.headers[WEB_REQUEST_HEADER] !== '1') throw apiErrors.unauthorized(`Session requests must carry the ${WEB_REQUEST_HEADER} header.`);
    if (method === 'DELETE') {
      res.setHeader('set-cookie', clearedSessionCookie());
      res.writeHead(204, SECURITY_HEADERS);
      res.end();
      return;
    }
    if (method !== 'POST') throw apiErrors.methodNotAllowed(method, '/web/session');
    const body = parseJsonBody(await readBody(req, MAX_SESSION_BODY), headerValue(req.headers['content-type'])) as Record<string, unknown> | null;
    let token: string;
    if (body && typeof body.token === 'string') token = body.token;
    else if (body && typeof body.connectionString === 'string') {
      const cs = serviceConnectionString(body.connectionString);
      if (!options.hostNames.some((h) => h.toLowerCase() === cs.hostName.toLowerCase())) throw apiErrors.unauthorized(`The connection string names host '${cs.hostName.slice(0, 100)}', not this hub.`);
      const keys = options.policyKey(cs.policyName);
      const known = keys === undefined ? [] : typeof keys === 'string' ? [keys] : keys;
      if (!known.includes(cs.key)) throw apiErrors.unauthorized(`The connection string's key is not a key of the policy '${cs.policyName.slice(0, 64)}'.`);
      token = createSasToken(cs.hostName, cs.key, nowSeconds() + (options.signInTtlSeconds ?? SIGN_IN_TTL_SECONDS), cs.policyName);
    } else throw apiErrors.badRequest('Send {"token": "SharedAccessSignature …"} or {"connectionString": "HostName=…"}.');
    const policy = sessionPolicy(token);
    const expiry = tokenExpiry(token) ?? nowSeconds();
    res.setHeader('set-cookie', sessionCookie(token, expiry - nowSeconds()));
    log.info({ policy, expiresAt: new Date(expiry * 1000).toISOString() }, 'web session started');
    return json(res, 200, { signedIn: true, policy, expiresAt: new Date(expiry * 1000).toISOString() });
  }

  async function events(req: IncomingMessage, res: ServerResponse, url: URL, authorize: AuthorizeToken): Promise<void> {
    const deviceId = url.searchParams.get('deviceId');
    if (!deviceId || deviceId.length > 128) throw apiErrors.badRequest('deviceId must be 1 to 128 characters.');
    authorize(req.headers.authorization ?? tokenOf(req.headers), 'RegistryRead', `/twins/${encodeURIComponent(deviceId)}`);
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    await streamDevice(res, abort.signal, options.source, deviceId);
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw apiErrors.methodNotAllowed(req.method ?? '?', pathname);
    let files: WebAssets;
    try {
      files = await loadAssets();
    } catch (error) {
      log.error({ err: error }, 'the web view could not be built');
      throw error;
    }
    const file = files.get(pathname === '/index.html' ? '/' : pathname)!;
    const headers: Record<string, string | number> = { ...SECURITY_HEADERS, 'content-type': file.contentType, etag: file.etag, 'cache-control': 'no-cache', vary: 'accept-encoding' };
    if (headerValue(req.headers['if-none-match']) === file.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = /\bgzip\b/.test(headerValue(req.headers['accept-encoding']) ?? '');
    const body = gzip ? file.gzip : file.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  // Built on the first page request (about 0.1 s), not at start: a hub that nobody opens in a
  // browser (tests, scripts) never runs esbuild. A failed build is retried on the next request.
  return {
    owns: (pathname) => STATIC_PATHS.has(pathname) || pathname.startsWith('/web/'),
    sessionToken: tokenOf,
    async handle(req, res, url, authorize) {
      if (STATIC_PATHS.has(url.pathname)) return serveStatic(req, res, url.pathname);
      if (url.pathname === '/web/session') return session(req, res);
      if (url.pathname === '/web/events') {
        if (req.method !== 'GET') throw apiErrors.methodNotAllowed(req.method ?? '?', url.pathname);
        return events(req, res, url, authorize);
      }
      throw apiErrors.notFound(`No resource at ${url.pathname.slice(0, 200)}.`);
    },
  };
}

/** HostName, SharedAccessKeyName and SharedAccessKey of a service connection string (hub/connection-string.ts parses it). */
function serviceConnectionString(text: string): { hostName: string; policyName: string; key: string } {
  let fields: Record<string, string | undefined>;
  try {
    fields = parseConnectionString(text) as unknown as Record<string, string | undefined>;
  } catch (error) {
    throw apiErrors.badRequest(`Not a service connection string: ${(error as Error).message}.`);
  }
  if (!fields.SharedAccessKeyName || fields.DeviceId) throw apiErrors.badRequest('Not a service connection string: it needs SharedAccessKeyName (a device connection string does not sign in).');
  return { hostName: fields.HostName!, policyName: fields.SharedAccessKeyName, key: fields.SharedAccessKey! };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
