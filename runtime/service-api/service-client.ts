import type http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EdgemuError } from '../errors.js';
import { systemClock, type Clock } from '../clock.js';
import { createSasToken, openHubStore, readDiscovery } from '../hub/index.js';
import type { Twin } from '../hub/index.js';
import type { ValidationIssue } from '../manifest/index.js';
import { DEFAULT_API_VERSION } from './api-version.js';
import { parseErrorBody } from './service-api-error.js';
import { SseParser } from './sse.js';
import type { TelemetryJson } from './telemetry-json.js';

/** A failed service API call: the HTTP status, IoT Hub's error code and its text. */
export class ServiceClientError extends EdgemuError {
  readonly status: number;
  readonly errorCode: string;

  constructor(status: number, errorCode: string, message: string, details?: Record<string, unknown>) {
    super(`SERVICE_API_${errorCode.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`, message, details ? { details } : {});
    this.status = status;
    this.errorCode = errorCode;
  }

  override get name(): string {
    return 'ServiceClientError';
  }
}

/** `edgemu deploy` refused: the manifest is invalid; `errors` lists every problem. */
export class DeploymentRefusedError extends EdgemuError {
  readonly errors: ValidationIssue[];
  readonly warnings: string[];
  readonly deploymentStatus: number;

  constructor(deviceId: string, deploymentStatus: number, errors: ValidationIssue[], warnings: string[]) {
    super('DEPLOYMENT_INVALID', `the deployment for ${deviceId} was refused: ${errors.length} problem${errors.length === 1 ? '' : 's'}`, {
      details: { deploymentStatus, errors, warnings },
    });
    this.errors = errors;
    this.warnings = warnings;
    this.deploymentStatus = deploymentStatus;
  }

  override get name(): string {
    return 'DeploymentRefusedError';
  }
}

export interface ServiceClientOptions {
  /** Address to connect to (default 127.0.0.1). */
  connectHost?: string;
  port: number;
  /** PEM of the CA that signed the hub's certificate. */
  ca: string | Buffer;
  /** The hub host name: the TLS server name and the SAS resource URI. */
  hostName: string;
  policyName: string;
  policyKey: string;
  clock?: Clock;
  /** Per-request timeout in ms when the call has none of its own (default 60 s). */
  timeoutMs?: number;
}

export interface TwinTarget {
  deviceId: string;
  moduleId?: string | undefined;
}

export interface MethodResult {
  status: number;
  payload: unknown;
}

export interface SendC2dOptions {
  properties?: Record<string, string>;
  messageId?: string;
  correlationId?: string;
  ttlSeconds?: number;
}

export interface EventFilter {
  deviceId?: string | undefined;
  moduleId?: string | undefined;
}

const enc = encodeURIComponent;
const identityPath = (t: TwinTarget) => `/devices/${enc(t.deviceId)}${t.moduleId ? `/modules/${enc(t.moduleId)}` : ''}`;
const twinPath = (t: TwinTarget) => `/twins/${enc(t.deviceId)}${t.moduleId ? `/modules/${enc(t.moduleId)}` : ''}`;

/**
 * The client of edgemu's service API that the CLI uses (and that `edgemu up --deployment`
 * may reuse): HTTPS trusting the hub's CA, a fresh `iothubowner` SAS per request, IoT Hub's
 * error bodies turned into `ServiceClientError`s with stable codes.
 */
export class ServiceClient {
  private readonly options: ServiceClientOptions;
  private readonly clock: Clock;
  private readonly agent: https.Agent;

  constructor(options: ServiceClientOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 4 });
  }

  /** The shared access policy this client signs with (for the service connection string). */
  policy(): { policyName: string; policyKey: string } {
    return { policyName: this.options.policyName, policyKey: this.options.policyKey };
  }

  /** Closes idle keep-alive connections (call when done). */
  close(): void {
    this.agent.destroy();
  }

  getTwin(target: TwinTarget): Promise<Twin> {
    return this.json<Twin>('GET', twinPath(target));
  }

  /** Merges `patch` (`{tags?, properties?: {desired?}}`) into the twin; `etag` `*` = unconditional. */
  patchTwin(target: TwinTarget, patch: unknown, etag = '*'): Promise<Twin> {
    return this.json<Twin>('PATCH', twinPath(target), { body: patch, headers: { 'if-match': etag === '*' ? '*' : `"${etag}"` } });
  }

  /** `GET /devices/{id}` or `/devices/{id}/modules/{mid}`: the identity in IoT Hub's JSON shape. */
  getIdentity(ref: TwinTarget): Promise<Record<string, unknown>> {
    return this.json<Record<string, unknown>>('GET', identityPath(ref));
  }

  /** `PUT /devices/{id}[/modules/{mid}]` without `If-Match`: creates the identity (409 when it exists). */
  createIdentity(ref: TwinTarget, options: { edge?: boolean } = {}): Promise<Record<string, unknown>> {
    const body = ref.moduleId ? { deviceId: ref.deviceId, moduleId: ref.moduleId } : { deviceId: ref.deviceId, capabilities: { iotEdge: Boolean(options.edge) } };
    return this.json<Record<string, unknown>>('PUT', identityPath(ref), { body });
  }

  /** `DELETE /devices/{id}[/modules/{mid}]` (a device takes its modules, twins and queues with it). */
  async deleteIdentity(ref: TwinTarget): Promise<void> {
    await this.json<undefined>('DELETE', identityPath(ref), { headers: { 'if-match': '*' } });
  }

  /** `GET /devices`: every device identity. */
  listDevices(): Promise<Record<string, unknown>[]> {
    return this.json<Record<string, unknown>[]>('GET', '/devices');
  }

  /** Invokes a direct method; `connectTimeoutSeconds` > 0 waits that long for an offline target to connect. */
  invokeMethod(target: TwinTarget, methodName: string, payload: unknown, timeoutSeconds = 30, connectTimeoutSeconds = 0): Promise<MethodResult> {
    return this.json<MethodResult>('POST', `${twinPath(target)}/methods`, {
      body: { methodName, payload, responseTimeoutInSeconds: timeoutSeconds, connectTimeoutInSeconds: connectTimeoutSeconds },
      timeoutMs: (timeoutSeconds + connectTimeoutSeconds) * 1000 + 10_000,
    });
  }

  /** Applies a deployment manifest; throws DeploymentRefusedError listing every problem when invalid. */
  async applyConfigurationContent(deviceId: string, content: unknown): Promise<void> {
    try {
      await this.json('POST', `/devices/${enc(deviceId)}/applyConfigurationContent`, { body: content });
    } catch (error) {
      const details = error instanceof ServiceClientError ? error.details : undefined;
      if (error instanceof ServiceClientError && error.status === 400 && details && Array.isArray(details.errors)) {
        throw new DeploymentRefusedError(deviceId, Number(details.deploymentStatus ?? 400), details.errors as ValidationIssue[], (details.warnings as string[]) ?? []);
      }
      throw error;
    }
  }

  /** `GET /configurations`: every configuration with its metrics computed now. */
  listConfigurations(): Promise<Array<Record<string, unknown> & { id: string }>> {
    return this.json('GET', '/configurations');
  }

  /** `GET /configurations/{id}` (404 `ConfigurationNotFound` when there is none). */
  getConfiguration(id: string): Promise<Record<string, unknown> & { id: string; etag: string }> {
    return this.json('GET', `/configurations/${enc(id)}`);
  }

  /** `PUT /configurations/{id}` without `If-Match`: creates the configuration (409 when it exists). */
  createConfiguration(configuration: Record<string, unknown> & { id: string }): Promise<Record<string, unknown> & { id: string; etag: string }> {
    return this.json('PUT', `/configurations/${enc(configuration.id)}`, { body: configuration });
  }

  /** `PUT /configurations/{id}` with `If-Match`: updates what may change (target condition, priority, labels, metrics). */
  updateConfiguration(configuration: Record<string, unknown> & { id: string }, etag: string): Promise<Record<string, unknown> & { id: string; etag: string }> {
    return this.json('PUT', `/configurations/${enc(configuration.id)}`, { body: configuration, headers: { 'if-match': `"${etag}"` } });
  }

  /** `DELETE /configurations/{id}`. */
  async deleteConfiguration(id: string): Promise<void> {
    await this.json<undefined>('DELETE', `/configurations/${enc(id)}`, { headers: { 'if-match': '*' } });
  }

  sendC2d(deviceId: string, body: string | Buffer, options: SendC2dOptions = {}): Promise<{ messageId: string; enqueuedTime: string }> {
    const isBuffer = Buffer.isBuffer(body);
    return this.json('POST', `/devices/${enc(deviceId)}/messages/deviceBound`, {
      body: { body: isBuffer ? body.toString('base64') : body, bodyEncoding: isBuffer ? 'base64' : 'utf8', ...options },
    });
  }

  /** `GET /devices/{id}/modules`: the module identities of a device (IoT Hub's module JSON). */
  listModules(deviceId: string): Promise<Array<Record<string, unknown> & { moduleId: string; connectionState: string }>> {
    return this.json('GET', `/devices/${enc(deviceId)}/modules`);
  }

  recentEvents(filter: EventFilter & { limit?: number; after?: number } = {}): Promise<TelemetryJson[]> {
    return this.json('GET', `/messages/events${queryOf(filter)}`);
  }

  /**
   * Streams telemetry (server-sent events) to `onEvent` until `signal` aborts. A dropped stream
   * is resumed with `Last-Event-ID` (nothing lost, nothing repeated); after `maxRetries`
   * consecutive failures to connect the promise rejects.
   */
  async streamEvents(filter: EventFilter, onEvent: (event: TelemetryJson) => void, signal: AbortSignal, options: { maxRetries?: number; retryDelayMs?: number; onReconnect?: (error: Error) => void } = {}): Promise<void> {
    const maxRetries = options.maxRetries ?? 5;
    let lastEventId: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.streamOnce(filter, lastEventId, signal, (event, id) => {
          failures = 0;
          lastEventId = id ?? lastEventId;
          onEvent(event);
        }, () => (failures = 0));
        if (signal.aborted) return;
        throw new Error('the hub closed the telemetry stream');
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ServiceClientError && error.status < 500) throw error;
        failures++;
        if (failures > maxRetries) throw error;
        options.onReconnect?.(error as Error);
        await this.clock.sleep(options.retryDelayMs ?? 1000, signal).catch(() => undefined);
      }
    }
  }

  private streamOnce(filter: EventFilter, lastEventId: string | undefined, signal: AbortSignal, onEvent: (e: TelemetryJson, id: string | undefined) => void, onOpen: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'text/event-stream', authorization: this.token() };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const req = https.request(this.requestOptions('GET', `/messages/events/stream${queryOf(filter)}`, headers), (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          collect(res).then((text) => reject(errorFrom(res.statusCode ?? 0, text)), reject);
          return;
        }
        onOpen();
        const parser = new SseParser();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          try {
            for (const e of parser.push(chunk)) {
              if (e.event !== 'message') continue;
              onEvent(JSON.parse(e.data) as TelemetryJson, e.id);
            }
          } catch (error) {
            res.destroy(error as Error);
          }
        });
        res.on('end', () => resolve());
        res.on('error', (error) => (signal.aborted ? resolve() : reject(error)));
        res.on('close', () => resolve());
      });
      const onAbort = () => req.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal.removeEventListener('abort', onAbort));
      req.on('error', (error) => (signal.aborted ? resolve() : reject(this.networkError(error))));
      req.end();
    });
  }

  /** One JSON call; resolves with the parsed body (undefined for 204). */
  async json<T>(method: string, pathname: string, options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<T> {
    return (await this.jsonWithHeaders<T>(method, pathname, options)).body;
  }

  /** One page of a twin query (`POST /devices/query`): the items, their type and the continuation token while more follow. */
  async query(text: string, options: { maxItemCount?: number; continuation?: string | undefined } = {}): Promise<{ items: unknown[]; itemType: string; continuation?: string }> {
    const headers: Record<string, string> = {};
    if (options.maxItemCount !== undefined) headers['x-ms-max-item-count'] = String(options.maxItemCount);
    if (options.continuation) headers['x-ms-continuation'] = options.continuation;
    const { body, headers: answer } = await this.jsonWithHeaders<unknown[]>('POST', '/devices/query', { body: { query: text }, headers });
    const continuation = answer['x-ms-continuation'];
    return { items: body ?? [], itemType: String(answer['x-ms-item-type'] ?? ''), ...(typeof continuation === 'string' && continuation !== '' ? { continuation } : {}) };
  }

  private async jsonWithHeaders<T>(
    method: string,
    pathname: string,
    options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<{ body: T; headers: http.IncomingHttpHeaders }> {
    const headers: Record<string, string> = { authorization: this.token(), accept: 'application/json', ...options.headers };
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json; charset=utf-8';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const { status, text, headers: answer } = await new Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = https.request(this.requestOptions(method, pathname, headers), (res) => {
        collect(res).then((t) => resolve({ status: res.statusCode ?? 0, text: t, headers: res.headers }), reject);
      });
      req.setTimeout(options.timeoutMs ?? this.options.timeoutMs ?? 60_000, () => req.destroy(new EdgemuError('SERVICE_API_TIMEOUT', `the hub did not answer ${method} ${pathname} in time`)));
      req.on('error', (error) => reject(error instanceof EdgemuError ? error : this.networkError(error)));
      req.end(payload);
    });
    if (status >= 300) throw errorFrom(status, text);
    if (status === 204 || text === '') return { body: undefined as T, headers: answer };
    try {
      return { body: JSON.parse(text) as T, headers: answer };
    } catch {
      throw new EdgemuError('SERVICE_API_BAD_RESPONSE', `the hub answered ${method} ${pathname} with a body that is not JSON`);
    }
  }

  private token(): string {
    return this.serviceToken(3600);
  }

  /** A service-policy SAS token for this hub valid for `ttlSeconds` (the web view's link carries one, docs/web.md). */
  serviceToken(ttlSeconds: number): string {
    const expiry = Math.ceil(this.clock.now() / 1000) + ttlSeconds;
    return createSasToken(this.options.hostName, this.options.policyKey, expiry, this.options.policyName);
  }

  /** The hub's host name and service API port, as the client reaches them. */
  get endpoint(): { hostName: string; port: number } {
    return { hostName: this.options.hostName, port: this.options.port };
  }

  private requestOptions(method: string, pathname: string, headers: Record<string, string>): https.RequestOptions {
    const sep = pathname.includes('?') ? '&' : '?';
    const servername = isIP(this.options.hostName) ? undefined : this.options.hostName;
    return {
      host: this.options.connectHost ?? '127.0.0.1',
      port: this.options.port,
      method,
      path: `${pathname}${sep}api-version=${DEFAULT_API_VERSION}`,
      headers,
      ca: this.options.ca,
      ...(servername ? { servername } : {}),
      agent: headers.accept === 'text/event-stream' ? false : this.agent,
    };
  }

  private networkError(error: Error): EdgemuError {
    return new EdgemuError('SERVICE_API_UNREACHABLE', `cannot reach the hub's service API on port ${this.options.port}: ${error.message}`, { cause: error });
  }
}

/**
 * A client for the hub running in `stateDir`: its discovery file (`hub.json`: ports, host
 * name, CA path) and the `iothubowner` key from the state dir's store. Throws
 * `HUB_NOT_RUNNING` when no hub is running there.
 */
export function connectToRunningHub(stateDir: string, options: { clock?: Clock } = {}): ServiceClient {
  const hub = readDiscovery(stateDir);
  if (!hub) {
    throw new EdgemuError('HUB_NOT_RUNNING', `no hub is running in ${path.resolve(stateDir)} (start one with \`edgemu hub\` or \`edgemu up\`, or pass --state-dir)`);
  }
  if (hub.httpsPort === undefined) {
    throw new EdgemuError('HUB_NO_SERVICE_API', `the hub running in ${path.resolve(stateDir)} (pid ${hub.pid}) has no service API port`);
  }
  let ca: Buffer;
  try {
    ca = readFileSync(hub.caFile);
  } catch (error) {
    throw new EdgemuError('HUB_CA_MISSING', `cannot read the hub's CA certificate ${hub.caFile}: ${(error as Error).message}`, { cause: error });
  }
  const store = openHubStore({ stateDir });
  let policy;
  try {
    policy = store.identities.servicePolicy();
  } finally {
    store.close();
  }
  return new ServiceClient({
    port: hub.httpsPort,
    ca,
    hostName: hub.hostName,
    policyName: policy.name,
    policyKey: policy.primaryKey,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

function queryOf(params: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params) as Array<[string, unknown]>) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function collect(res: NodeJS.ReadableStream, limit = 32 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new EdgemuError('SERVICE_API_BAD_RESPONSE', `the hub's answer is larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function errorFrom(status: number, text: string): ServiceClientError {
  const parsed = parseErrorBody(text);
  let details: Record<string, unknown> | undefined;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const { Message: _m, ExceptionMessage: _e, ...rest } = body;
    if (Object.keys(rest).length > 0) details = rest;
  } catch {
    details = undefined;
  }
  return new ServiceClientError(status, parsed?.code ?? `Http${status}`, parsed?.message || `the hub answered HTTP ${status}`, details);
}
