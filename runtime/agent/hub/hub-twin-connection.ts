// The SDK is CommonJS: Node's ESM loader only gives it as a default export.
import deviceSdk from 'azure-iot-device';
import mqttTransport from 'azure-iot-device-mqtt';
import { createRequire } from 'node:module';
import tls from 'node:tls';
import type { DeviceMethodRequest, DeviceMethodResponse, ModuleClient, Twin } from 'azure-iot-device';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { describeError, EdgemuError } from '../../errors.js';
import { checkSectionSize } from '../../twin/index.js';
import { ReportTooLargeError, type ConfigSource, type DesiredDocument, type Reporter } from '../ports.js';
import { applyReportedPatch, type JsonObject } from '../reported-state.js';

export interface HubTwinConnectionOptions {
  /** `$edgeAgent`'s connection string (`HostName=…;DeviceId=<device>;ModuleId=$edgeAgent;SharedAccessKey=…`). */
  connectionString: string;
  /** PEM of the CA the hub's TLS certificate chains to. */
  ca: string;
  clock: Clock;
  logger: Logger;
  /** Reconnect back-off after the SDK gave up: base × 2ⁿ capped (default 500 ms … 15 s). */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** Re-read the whole twin at least this often (IoT Edge `ConfigRefreshFrequencySecs`; default 60 s). */
  refreshMs?: number;
  /**
   * Answers the direct methods invoked on `$edgeAgent`, every name (edgeAgent matches names
   * itself, case-insensitively, and answers unknown ones 400). Absent: no method subscription.
   */
  onMethod?: (name: string, payload: unknown) => Promise<{ status: number; payload?: unknown }>;
}

/** The single SDK handler name every method request is funnelled to (see `AllMethodsMqtt`). */
const ALL_METHODS = '*';

/** The last hub CA's TLS context: every agent of the process trusts the same CA. */
let sharedContext: { ca: string; context: tls.SecureContext } | undefined;

function contextFor(ca: string): tls.SecureContext {
  if (sharedContext?.ca !== ca) sharedContext = { ca, context: tls.createSecureContext({ ca }) };
  return sharedContext.context;
}

let packetIdCacheOff = false;

/**
 * Turns off the packet-id cache of the mqtt-packet copy under the SDK's own MQTT.js
 * (azure-iot-mqtt-base → mqtt 4 → mqtt-packet 6): on its first write of a packet with an id
 * (the first SUBSCRIBE) it builds 65,536 two-byte Buffers and the object holding them, about
 * 9 MB of heap kept for the life of the process, to save one 2-byte allocation per packet
 * (`writeToStream.cacheNumbers`, mqtt-packet's README; the hub does the same for aedes' copy,
 * docs/hub.md "Performance"). That MQTT.js never sets it (it has no `writeCache` option).
 * Should the SDK's packages move, nothing is changed.
 */
function turnOffSdkPacketIdCache(): void {
  if (packetIdCacheOff) return;
  packetIdCacheOff = true;
  try {
    const fromBase = createRequire(createRequire(createRequire(import.meta.url).resolve('azure-iot-device-mqtt')).resolve('azure-iot-mqtt-base'));
    const codec = createRequire(fromBase.resolve('mqtt'))('mqtt-packet') as { writeToStream?: { cacheNumbers?: boolean } };
    if (codec.writeToStream && 'cacheNumbers' in codec.writeToStream) codec.writeToStream.cacheNumbers = false;
  } catch {
    // another layout of the SDK's packages: it keeps its cache
  }
}

/**
 * The device SDK's MQTT transport, its TLS connection made with one `tls.SecureContext` per hub
 * CA for every agent of the process (nodejs.org/api/tls.html#tlscreatesecurecontextoptions)
 * instead of a context of its own per connection built from the same CA: the SDK's MqttBase
 * hands MQTT.js only `ca` (azure-iot-mqtt-base `_connectClient`), and MQTT.js passes its options
 * to `tls.connect`, which takes a ready `secureContext`. The SDK keeps its own MQTT.js; only the
 * options of its `connect` call change. Should a later SDK not have the provider where it is
 * today, connections simply keep the SDK's per-connection context.
 */
class SharedTlsMqtt extends mqttTransport.Mqtt {
  constructor(...args: ConstructorParameters<typeof mqttTransport.Mqtt>) {
    super(...args);
    turnOffSdkPacketIdCache();
    const base = (this as unknown as { _mqtt?: { mqttProvider?: { connect?: (uri: string, options: Record<string, unknown>) => unknown } } })._mqtt;
    const provider = base?.mqttProvider;
    if (base === undefined || typeof provider?.connect !== 'function') return;
    base.mqttProvider = {
      connect: (uri: string, options: Record<string, unknown>) => {
        const { ca, ...rest } = options;
        return provider.connect!(uri, typeof ca === 'string' ? { ...rest, secureContext: contextFor(ca) } : options);
      },
    };
  }
}

/**
 * The device SDK's MQTT transport with one change: every method request goes to one handler.
 * The SDK only dispatches by exact name — the transport emits `method_<name>` for a request on
 * `$iothub/methods/POST/<name>/?$rid=…` and `ModuleClient.onMethod(name)` listens to exactly that
 * event (azure-iot-device-mqtt `Mqtt._onDeviceMethod` / `onDeviceMethod`), so a request whose
 * name has no listener is dropped unanswered and the caller waits for its timeout. edgeAgent
 * instead answers every name, matching it case-insensitively and refusing unknown ones with 400.
 * Re-emitting each `method_<name>` as `method_*` keeps everything else the SDK does (the
 * subscription on connect and reconnect, request parsing, `DeviceMethodResponse` with its
 * request id) while the handler registered with `onMethod('*')` sees the real name in
 * `request.methodName`. Subclassing the exported transport class is the SDK's own extension
 * point (`fromConnectionString` takes any transport constructor).
 */
class AllMethodsMqtt extends SharedTlsMqtt {
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (typeof event === 'string' && event.startsWith('method_') && event !== `method_${ALL_METHODS}`) return super.emit(`method_${ALL_METHODS}`, ...args);
    return super.emit(event, ...args);
  }
}

/** The agent is not connected to the hub (yet, or any more). */
export class HubNotConnectedError extends EdgemuError {
  constructor(message: string, cause?: unknown) {
    super('AGENT_HUB_NOT_CONNECTED', message, { cause });
  }
}

/** A twin request that gives up after `ms`: a hub that stops answering must not hang the agent's pass. */
const promisify = <T>(fn: (cb: (err?: Error | null, value?: T) => void) => void, ms = 30_000): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new HubNotConnectedError(`the hub did not answer within ${ms} ms`)), ms);
    fn((err, value) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    });
  });

/** Plain JSON of a twin section without the SDK's functions and the twin's `$version`/`$metadata`. */
function plainSection(section: unknown): { body: Record<string, unknown>; version: number | undefined } {
  const json = JSON.parse(JSON.stringify(section ?? {})) as Record<string, unknown>;
  const version = typeof json.$version === 'number' ? json.$version : undefined;
  delete json.$version;
  delete json.$metadata;
  return { body: json, version };
}

/**
 * The agent's link to the hub: it connects as `<device>/$edgeAgent` with the unmodified Azure
 * IoT device SDK (ModuleClient over MQTT/TLS, trusting the hub CA) like any module, reads the
 * `$edgeAgent` twin, follows desired-property patches, and writes reported-property patches
 * (IoT Edge `EdgeAgentConnection` + `TwinConfigSource` + `IoTHubReporter` transport).
 *
 * After a patch or a reconnect the full twin is read again rather than trusting patch merges,
 * since desired updates missed while disconnected are never replayed. If the SDK gives up
 * reconnecting, a fresh client is made with capped exponential back-off, forever.
 */
export class HubTwinConnection implements ConfigSource, Reporter {
  private client: ModuleClient | undefined;
  private twin: Twin | undefined;
  private stale = true;
  private lastFetchMs = 0;
  private refreshing = false;
  private closed = false;
  private connecting: Promise<void> | undefined;
  private failures = 0;
  private readonly listeners = new Set<(reason: string) => void>();
  private readonly closeController = new AbortController();

  constructor(private readonly options: HubTwinConnectionOptions) {}

  /** Starts connecting in the background (retrying with back-off); resolves once connected the first time or closed. */
  start(): Promise<void> {
    return (this.connecting ??= this.connectLoop());
  }

  get connected(): boolean {
    return this.twin !== undefined;
  }

  onChange(listener: (reason: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async getDesired(): Promise<DesiredDocument> {
    const twin = this.twin;
    if (!twin) throw new HubNotConnectedError('not connected to the hub as $edgeAgent');
    if (this.stale || this.options.clock.now() - this.lastFetchMs > (this.options.refreshMs ?? 60_000)) {
      this.stale = false;
      this.refreshing = true;
      try {
        await promisify<Twin>((cb) => twin.get(cb));
        this.lastFetchMs = this.options.clock.now();
      } catch (error) {
        this.stale = true;
        throw new HubNotConnectedError(`cannot read the $edgeAgent twin: ${describeError(error)}`, error);
      } finally {
        this.refreshing = false;
      }
    }
    const { body, version } = plainSection(twin.properties.desired);
    return { version, desired: body };
  }

  async readReported(): Promise<JsonObject | undefined> {
    const twin = this.twin;
    if (!twin) throw new HubNotConnectedError('not connected to the hub as $edgeAgent');
    const { body } = plainSection(twin.properties.reported);
    return Object.keys(body).length > 0 ? (body as JsonObject) : undefined;
  }

  async report(patch: JsonObject): Promise<void> {
    const twin = this.twin;
    if (!twin) throw new HubNotConnectedError('not connected to the hub as $edgeAgent');
    // The hub would refuse it (the twin rules are shared); the SDK hands its refusal over as bare
    // text, so the size is judged here, on the SDK's copy of the reported section (it merges every
    // acknowledged patch), with the same rule the hub applies.
    const [tooLarge] = checkSectionSize(applyReportedPatch(plainSection(twin.properties.reported).body as JsonObject, patch), 'reported');
    if (tooLarge) throw new ReportTooLargeError(`reported patch refused: ${tooLarge.message}`);
    await promisify<void>((cb) => twin.properties.reported.update(patch, (err?: Error) => cb(err)));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closeController.abort();
    const client = this.client;
    this.client = undefined;
    this.twin = undefined;
    if (client) await client.close().catch(() => undefined);
  }

  /** Runs one method request and sends its answer; a failure to answer is logged, never thrown. */
  private async answerMethod(onMethod: NonNullable<HubTwinConnectionOptions['onMethod']>, request: DeviceMethodRequest, response: DeviceMethodResponse): Promise<void> {
    let result: { status: number; payload?: unknown };
    try {
      result = await onMethod(request.methodName, request.payload ?? null);
    } catch (error) {
      result = { status: 500, payload: { message: describeError(error) } };
    }
    try {
      await response.send(result.status, result.payload === undefined ? null : result.payload);
    } catch (error) {
      this.options.logger.warn({ method: request.methodName, err: describeError(error) }, 'cannot send the method answer to the hub');
    }
  }

  private notify(reason: string): void {
    for (const l of this.listeners) l(reason);
  }

  private async connectLoop(): Promise<void> {
    const { logger } = this.options;
    while (!this.closed) {
      const client = deviceSdk.ModuleClient.fromConnectionString(this.options.connectionString, this.options.onMethod ? AllMethodsMqtt : SharedTlsMqtt);
      try {
        await client.setOptions({ ca: this.options.ca });
        await client.open();
        const twin = await client.getTwin();
        if (this.closed) {
          await client.close().catch(() => undefined);
          return;
        }
        this.lastFetchMs = this.options.clock.now();
        this.stale = false;
        twin.on('properties.desired', () => {
          if (this.refreshing) return;
          this.stale = true;
          this.notify('desired properties changed');
        });
        client.on('connect', () => {
          // The SDK re-established the link itself: anything may have changed meanwhile.
          this.stale = true;
          this.notify('reconnected to the hub');
        });
        client.on('error', (error: Error) => logger.debug({ err: describeError(error) }, 'hub client error'));
        client.on('disconnect', () => {
          if (this.closed || this.client !== client) return;
          logger.warn('disconnected from the hub; reconnecting');
          this.client = undefined;
          this.twin = undefined;
          void client.close().catch(() => undefined);
          this.connecting = this.connectLoop();
        });
        const onMethod = this.options.onMethod;
        if (onMethod) client.onMethod(ALL_METHODS, (request, response) => {
            if (request && response) void this.answerMethod(onMethod, request, response);
          });
        this.client = client;
        this.twin = twin;
        this.failures = 0;
        logger.info('connected to the hub as $edgeAgent');
        this.notify('connected to the hub');
        return;
      } catch (error) {
        await client.close().catch(() => undefined);
        this.failures += 1;
        const delay = Math.min((this.options.reconnectBaseMs ?? 500) * 2 ** Math.min(this.failures - 1, 20), this.options.reconnectMaxMs ?? 15_000);
        logger.warn({ err: describeError(error), retryInMs: delay }, 'cannot connect to the hub as $edgeAgent');
        try {
          await this.options.clock.sleep(delay, this.closeController.signal);
        } catch {
          return;
        }
      }
    }
  }
}
