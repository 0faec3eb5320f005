import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '../log/create-logger.js';
import type { Clock } from '../clock.js';
import { matchRoute, type RouteName, type RouteParams } from './route-table.js';
import { requireApiVersion } from './api-version.js';
import { authorizeServiceRequest, type Permission } from './service-auth.js';
import { ServiceApiError, apiErrors, formatErrorBody } from './service-api-error.js';
import { EdgemuError } from '../errors.js';
import { drainBody, parseJsonBody, readBody } from './read-body.js';
import { guardTlsServer } from '../hub/index.js';
import { WEB_REQUEST_HEADER, type WebFront } from './web-front.js';

/** What a handler answers: a status with an optional JSON body, or "I wrote the response myself" (streams). */
export type ApiResult = { status: number; json?: unknown; headers?: Record<string, string> } | { streamed: true };

/** Everything a handler may use about one request. */
export interface RequestContext {
  route: RouteName;
  params: RouteParams;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  apiVersion: string;
  /** Reads the body as JSON (bounded by `limits.maxBodyBytes`, 400/413/415 on bad input). */
  readJson(): Promise<unknown>;
  /** Reads the raw body, bounded by `limit` bytes (default `limits.maxBodyBytes`). */
  readRaw(limit?: number): Promise<Buffer>;
  /** The raw response, for streaming handlers only. */
  res: ServerResponse;
  /** Aborted when the client goes away or the server closes. */
  signal: AbortSignal;
}

export type RouteHandler = (ctx: RequestContext) => Promise<ApiResult>;
export type RouteHandlers = Record<RouteName, RouteHandler>;

/**
 * The permission each route needs (IoT Hub: registry operations need RegistryRead/Write;
 * twins, methods, C2D and telemetry need ServiceConnect).
 */
export const ROUTE_PERMISSIONS: Readonly<Record<RouteName, Permission>> = {
  listDevices: 'RegistryRead',
  queryDevices: 'RegistryRead',
  getDevice: 'RegistryRead',
  putDevice: 'RegistryWrite',
  deleteDevice: 'RegistryWrite',
  listModules: 'RegistryRead',
  getModule: 'RegistryRead',
  putModule: 'RegistryWrite',
  deleteModule: 'RegistryWrite',
  applyConfigurationContent: 'RegistryWrite',
  listConfigurations: 'RegistryRead',
  getConfiguration: 'RegistryRead',
  putConfiguration: 'RegistryWrite',
  deleteConfiguration: 'RegistryWrite',
  testConfigurationQueries: 'RegistryRead',
  sendC2d: 'ServiceConnect',
  getTwin: 'RegistryRead',
  patchTwin: 'ServiceConnect',
  replaceTwin: 'ServiceConnect',
  getModuleTwin: 'RegistryRead',
  patchModuleTwin: 'ServiceConnect',
  replaceModuleTwin: 'ServiceConnect',
  invokeDeviceMethod: 'ServiceConnect',
  invokeModuleMethod: 'ServiceConnect',
  recentEvents: 'ServiceConnect',
  streamEvents: 'ServiceConnect',
};

/** What the service API allows one client (docs/service-api.md "Limits" lists what the client sees). */
export interface ServiceApiLimits {
  /** Largest JSON request body (default 1 MiB, well above IoT Hub's 128 KB method and 32 KB twin-section limits). */
  maxBodyBytes: number;
  /** Longest time one request may take to arrive, in ms (slow-loris guard; default 30 s). */
  requestTimeoutMs: number;
  /** Longest wait for a request's headers, from the connection's start or the previous response, in ms (default 20 s). */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this many ms (default 5 s). */
  keepAliveTimeoutMs: number;
  /** A TLS handshake not finished within this many ms is closed (default 10 s). */
  handshakeTimeoutMs: number;
  /** Most request headers accepted, in bytes (default 16 KiB, node's default). */
  maxHeaderBytes: number;
  /** Most simultaneous connections, handshaking and idle ones included (default 1024). */
  maxConnections: number;
  /**
   * Connections kept for clients that sent an authorized request (default 64): connections
   * that have not may hold at most `maxConnections - reservedConnections`, and a newcomer past
   * that closes the oldest of them — idle sockets never lock authenticated clients out.
   */
  reservedConnections: number;
  /** After a 413, at most this many bytes of the rest of the body are read and discarded before the connection is closed (default 8 MiB). */
  drainBytes: number;
  /** …and for at most this many ms (default 5 s). */
  drainTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServiceApiLimits = {
  maxBodyBytes: 1024 * 1024,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 5_000,
  handshakeTimeoutMs: 10_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 1024,
  reservedConnections: 64,
  drainBytes: 8 * 1024 * 1024,
  drainTimeoutMs: 5_000,
};

export interface ServiceApiOptions {
  /** PEM server key and certificate (the hub's TLS identity, so clients trust the same ca.pem). */
  tls: { key: string | Buffer; cert: string | Buffer };
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to bind (default: all, like the hub's MQTT listener). */
  host?: string;
  /** Host names a SAS resource URI may name. */
  hostNames: readonly string[];
  /** Looks up a shared access policy's key(s) by name. */
  policyKey(name: string): string | readonly string[] | undefined;
  handlers: RouteHandlers;
  logger: Logger;
  clock: Clock;
  limits?: Partial<ServiceApiLimits>;
  /** The web view on the same port (runtime/web/): its own paths, and its session cookie accepted on the REST routes. */
  web?: WebFront;
}

/** A running service API. */
export interface ServiceApi {
  readonly port: number;
  /** Stops accepting requests, ends open streams and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts the HTTPS service API: IoT Hub's REST shape (learn.microsoft.com/rest/api/iothub) so that the
 * azure-iothub SDK and edgemu's CLI work against the embedded hub. Each request goes
 * route → api-version → SAS authorization → handler; every failure becomes IoT Hub's error
 * body with the status the SDK maps to a typed error, and no failure reaches stored state
 * before validation is complete (handlers validate first, then write).
 */
export async function startServiceApi(options: ServiceApiOptions): Promise<ServiceApi> {
  const limits: ServiceApiLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.logger.child({ component: 'service-api' });
  const closing = new AbortController();
  const sockets = new Set<Socket>();

  const server: Server = createServer(
    {
      key: options.tls.key,
      cert: options.tls.cert,
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: Math.min(limits.requestTimeoutMs, limits.headersTimeoutMs),
      maxHeaderSize: limits.maxHeaderBytes,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the header and request timeouts only this often (its default is 30 s).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (req, res) => {
      void handle(req, res).catch((error: unknown) => {
        log.error({ err: error }, 'service API request failed unexpectedly');
        if (!res.headersSent) writeError(res, apiErrors.internal('The request failed unexpectedly.'));
        else res.destroy();
      });
    },
  );
  // Handshake timeout and connection cap; a TLS handshake failure only ends that connection.
  const guard = guardTlsServer(server, { handshakeTimeoutMs: limits.handshakeTimeoutMs, maxConnections: limits.maxConnections, reservedConnections: limits.reservedConnections }, log);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Node's header timeout starts with the first byte of a request: a connection that never
  // sends one is closed here after the same time.
  const awaitingFirstRequest = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('secureConnection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
    timer.unref();
    awaitingFirstRequest.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: IncomingMessage) => {
    const timer = awaitingFirstRequest.get(req.socket);
    if (timer) clearTimeout(timer);
  });
  // Garbage on the socket only ends that connection.
  server.on('clientError', (error, socket) => {
    log.debug({ err: error }, 'malformed HTTP request');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = options.clock.now();
    const requestId = headerValue(req.headers['request-id']) ?? headerValue(req.headers['x-ms-client-request-id']);
    if (requestId) res.setHeader('request-id', requestId.slice(0, 128));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://edgemu.invalid');
    } catch {
      writeError(res, apiErrors.badRequest('The request URL is malformed.'));
      return;
    }
    const method = req.method ?? 'GET';
    const authOptions = () => ({ hostNames: options.hostNames, policyKey: options.policyKey, now: options.clock.now() });
    try {
      if (options.web?.owns(url.pathname)) {
        await options.web.handle(req, res, url, (token, permission, path) => authorizeServiceRequest(token, permission, path, authOptions()));
        return;
      }
      const match = matchRoute(method, url.pathname);
      if (match.kind === 'not-found') throw apiErrors.notFound(`No resource at ${url.pathname.slice(0, 200)}.`);
      if (match.kind === 'bad-path') throw apiErrors.badRequest(match.reason);
      if (match.kind === 'method-not-allowed') {
        res.setHeader('allow', match.allowed.join(', '));
        throw apiErrors.methodNotAllowed(method, url.pathname.slice(0, 200));
      }
      const apiVersion = requireApiVersion(url.searchParams);
      // The web view's session cookie stands in for the header; writes with it need the web header (web-front.ts).
      const sessionToken = req.headers.authorization === undefined ? options.web?.sessionToken(req.headers) : undefined;
      if (sessionToken !== undefined && method !== 'GET' && req.headers[WEB_REQUEST_HEADER] !== '1') {
        throw apiErrors.unauthorized(`A request authorized by the web session cookie must carry the ${WEB_REQUEST_HEADER} header.`);
      }
      authorizeServiceRequest(req.headers.authorization ?? sessionToken, ROUTE_PERMISSIONS[match.route], url.pathname, authOptions());
      guard.trust(req.socket);
      const abort = new AbortController();
      const onGone = () => abort.abort(new Error('client went away'));
      res.once('close', onGone);
      const onClosing = () => abort.abort(new Error('server closing'));
      closing.signal.addEventListener('abort', onClosing, { once: true });
      let bodyRead: Promise<Buffer> | undefined;
      const readRaw = (limit = limits.maxBodyBytes) => (bodyRead ??= readBody(req, limit));
      const ctx: RequestContext = {
        route: match.route,
        params: match.params,
        query: url.searchParams,
        headers: req.headers,
        apiVersion,
        readRaw,
        readJson: async () => parseJsonBody(await readRaw(), headerValue(req.headers['content-type'])),
        res,
        signal: abort.signal,
      };
      try {
        const result = await options.handlers[match.route](ctx);
        if ('streamed' in result) return;
        writeJson(res, result.status, result.json, result.headers);
        log.debug({ method, path: url.pathname, status: result.status, ms: options.clock.now() - started }, 'request');
      } finally {
        closing.signal.removeEventListener('abort', onClosing);
      }
    } catch (error) {
      const apiError = toServiceApiError(error);
      if (apiError.status >= 500) log.error({ err: error, method, path: url.pathname }, 'request failed');
      else log.debug({ method, path: url.pathname, status: apiError.status, code: apiError.errorCode }, apiError.message);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (apiError.status === 413 && !req.complete) {
        // The rest of an oversized body is read and discarded (bounded) before the connection is
        // closed: closing with unread data makes the kernel reset the connection, and the client
        // would lose the 413 it was sent.
        res.setHeader('connection', 'close');
        writeError(res, apiError, { end: false });
        await drainBody(req, limits.drainBytes, limits.drainTimeoutMs);
        res.end();
        return;
      }
      writeError(res, apiError);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${options.host ?? '0.0.0.0'}:${options.port}`;
      const hint = error.code === 'EADDRINUSE' ? ' (the port is in use; choose another with --https-port, 0 = any free port)' : '';
      reject(new EdgemuError('SERVICE_API_LISTEN', `the service API cannot listen on ${where}: ${error.message}${hint}`, { cause: error }));
    });
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      server.on('error', (error) => log.error({ err: error }, 'service API server error'));
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'service API listening');

  let closed: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        closing.abort(new Error('server closing'));
        server.close(() => resolve());
        server.closeIdleConnections();
        // Streams and in-flight requests were told to stop; give them a tick, then cut what remains.
        setImmediate(() => {
          for (const socket of sockets) socket.destroy();
        });
      })),
  };
}

/** Maps any thrown value to the API error the client sees (hub errors keep their status). */
export function toServiceApiError(error: unknown): ServiceApiError {
  if (error instanceof ServiceApiError) return error;
  const hubLike = error as { code?: unknown; status?: unknown; message?: unknown } | null;
  if (hubLike && typeof hubLike.code === 'string' && typeof hubLike.status === 'number' && typeof hubLike.message === 'string') {
    const message = hubLike.message;
    switch (hubLike.code) {
      case 'HUB_DEVICE_NOT_FOUND':
        return new ServiceApiError(404, 'DeviceNotFound', message, { cause: error });
      case 'HUB_MODULE_NOT_FOUND':
        return new ServiceApiError(404, 'ModuleNotFound', message, { cause: error });
      case 'HUB_DEVICE_EXISTS':
        return new ServiceApiError(409, 'DeviceAlreadyExists', message, { cause: error });
      case 'HUB_MODULE_EXISTS':
        return new ServiceApiError(409, 'ModuleAlreadyExistsOnDevice', message, { cause: error });
      case 'HUB_PRECONDITION_FAILED':
        return new ServiceApiError(412, 'PreconditionFailed', message, { cause: error });
      case 'HUB_QUEUE_FULL':
        return new ServiceApiError(403, 'DeviceMaximumQueueDepthExceeded', message, { cause: error });
      case 'HUB_THROTTLED':
        return new ServiceApiError(429, 'ThrottlingException', message, { cause: error });
      case 'HUB_MESSAGE_TOO_LARGE':
        return new ServiceApiError(413, 'MessageTooLarge', message, { cause: error });
      default:
        if (hubLike.status >= 400 && hubLike.status < 500) return new ServiceApiError(hubLike.status, 'ArgumentInvalid', message, { cause: error });
    }
  }
  return new ServiceApiError(500, 'ServerError', 'The request failed unexpectedly.', { cause: error });
}

function writeJson(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (json === undefined || status === 204) {
    res.writeHead(status);
    res.end();
    return;
  }
  const body = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function writeError(res: ServerResponse, error: ServiceApiError, options: { end?: boolean } = {}): void {
  // Structured details of the API's own errors (e.g. every manifest problem) travel next to IoT Hub's `Message`.
  const body = error.details ? JSON.stringify({ ...JSON.parse(formatErrorBody(error.errorCode, error.message)), ...error.details }) : formatErrorBody(error.errorCode, error.message);
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'iothub-errorcode': error.errorCode };
  res.writeHead(error.status, headers);
  if (options.end === false) res.write(body);
  else res.end(body);
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
