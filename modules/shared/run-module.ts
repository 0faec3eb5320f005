/**
 * The lifecycle every sample module shares, written the way an IoT Edge module author would:
 * `ModuleClient.fromEnvironment(Mqtt)` (IoT Edge injects `EdgeHubConnectionString` +
 * `EdgeModuleCACertificateFile`, or the `IOTEDGE_*` workload variables; `edgemu module run`
 * and the Kubernetes translation inject the same), open with retries, survive hub restarts,
 * and exit 0 on SIGTERM/SIGINT (what Kubernetes and `edgemu module run` send to stop a module).
 *
 * Reconnect strategy, in two layers:
 * 1. The SDK's own retry policy (`ExponentialBackOffWithJitter`, 100 ms … 10 s) re-opens the
 *    MQTT connection and re-enables methods, desired-property updates and input messages after
 *    a transport drop, as long as listeners for them are registered (azure-iot-device
 *    `internal_client.ts` / `module_client.ts`, requirements SRS_NODE_INTERNAL_CLIENT_16_098/099,
 *    SRS_NODE_MODULE_CLIENT_16_102).
 * 2. When the SDK gives up it emits `disconnect`; then this host throws the client away, makes a
 *    new one from the environment and calls `attach` again, backing off up to 5 s. Module state
 *    (counters, timers, the applied interval) lives outside the client and carries on.
 * After every (re)connect the module's `attach` re-reads its twin, because desired patches sent
 * while a module was offline are not replayed (IoT Hub MQTT: "clients must GET after reconnect").
 */
import deviceSdk from 'azure-iot-device';
import mqttTransport from 'azure-iot-device-mqtt';
import type { ModuleClient } from 'azure-iot-device';

const { ModuleClient: ModuleClientClass } = deviceSdk;
const { Mqtt } = mqttTransport;

/** Line-oriented logging to stdout/stderr; `edgemu module run` prefixes each line with the module name. */
export interface ModuleLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ModuleDefinition {
  /** Shown in log lines. */
  name: string;
  /**
   * Wires handlers (inputs, methods, twin) onto a freshly opened client. Called once per client:
   * at start and again after a full reconnect, so it must not duplicate module-wide state.
   */
  attach(client: ModuleClient, log: ModuleLog): Promise<void>;
  /** Stops timers before the client closes on shutdown. */
  stop?(): void;
}

/** syslog severities (RFC 5424 §6.2.1) of the three levels a module logs at. */
const SEVERITY = { info: 6, warn: 4, error: 3 } as const;
const TAG = { info: 'INF', warn: 'WRN', error: 'ERR' } as const;

/**
 * One log line in the format IoT Edge recommends for modules, which edgeAgent parses for
 * GetModuleLogs' `loglevel` filter: `<severity> yyyy-MM-dd HH:mm:ss.fff zzz [TAG] message`
 * (learn.microsoft.com/azure/iot-edge/how-to-retrieve-iot-edge-logs, "Recommended logging format"),
 * e.g. `<6> 2026-12-02 01:02:03.456 +00:00 [INF] filter: connected`. Time in UTC.
 */
export function formatModuleLogLine(level: keyof typeof SEVERITY, at: Date, message: string): string {
  const time = at.toISOString().replace('T', ' ').replace('Z', ' +00:00');
  return `<${SEVERITY[level]}> ${time} [${TAG[level]}] ${message}\n`;
}

/** Console logging in IoT Edge's module log format; the process is the unit, so no logger object is passed around. */
export const consoleLog: ModuleLog = {
  info: (m) => process.stdout.write(formatModuleLogLine('info', new Date(), m)),
  warn: (m) => process.stdout.write(formatModuleLogLine('warn', new Date(), m)),
  error: (m) => process.stderr.write(formatModuleLogLine('error', new Date(), m)),
};

/** Keeps the process alive while waiting (a module has nothing else to do between connect attempts). */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const errorText = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * Runs a module until SIGTERM/SIGINT: creates the client from the IoT Edge environment, opens it
 * (retrying while the hub is not reachable yet), attaches the module, and keeps it connected.
 * Exits 0 on a stop signal, 1 when the environment does not describe a module identity.
 */
export async function runModule(definition: ModuleDefinition, log: ModuleLog = consoleLog): Promise<void> {
  let client: ModuleClient | undefined;
  let stopping = false;
  let reconnecting = false;

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${definition.name}: ${signal} received, closing the client`);
    definition.stop?.();
    const current = client;
    client = undefined;
    if (current) {
      // close() waits for the MQTT DISCONNECT; never let a dead hub block a clean exit.
      await Promise.race([current.close().catch(() => undefined), sleep(3000)]);
    }
    log.info(`${definition.name}: stopped`);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  const connect = async (): Promise<void> => {
    let delay = 250;
    while (!stopping) {
      let candidate: ModuleClient;
      try {
        candidate = await ModuleClientClass.fromEnvironment(Mqtt);
      } catch (error) {
        // A missing or malformed environment is not going to fix itself: fail fast and clearly.
        log.error(
          `${definition.name}: cannot create a module client from the environment (${errorText(error)}); ` +
            'start the module with `edgemu module run` or set EdgeHubConnectionString and EdgeModuleCACertificateFile',
        );
        process.exit(1);
      }
      try {
        candidate.on('error', (error: unknown) => log.warn(`${definition.name}: client error: ${errorText(error)}`));
        candidate.on('disconnect', () => void onDisconnect(candidate));
        await candidate.open();
        if (stopping) {
          await candidate.close().catch(() => undefined);
          return;
        }
        client = candidate;
        await definition.attach(candidate, log);
        log.info(`${definition.name}: connected`);
        return;
      } catch (error) {
        log.warn(`${definition.name}: connect failed (${errorText(error)}); retrying in ${delay} ms`);
        candidate.removeAllListeners();
        // A late transport error from a client being discarded must not crash the module.
        candidate.on('error', () => undefined);
        await candidate.close().catch(() => undefined);
        client = undefined;
        await sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  };

  const onDisconnect = async (which: ModuleClient) => {
    if (stopping || reconnecting || which !== client) return;
    reconnecting = true;
    log.warn(`${definition.name}: disconnected and the SDK gave up retrying; reconnecting with a new client`);
    which.removeAllListeners();
    which.on('error', () => undefined);
    client = undefined;
    await which.close().catch(() => undefined);
    try {
      await connect();
    } finally {
      reconnecting = false;
    }
  };

  log.info(`${definition.name}: starting (device ${process.env.IOTEDGE_DEVICEID ?? '?'}, module ${process.env.IOTEDGE_MODULEID ?? '?'})`);
  await connect();
}
