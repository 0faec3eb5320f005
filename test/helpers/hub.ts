/**
 * Starts an embedded hub for a test: a fresh temp state dir, MQTT over TLS on an ephemeral
 * 127.0.0.1 port, and helpers that create identities and Azure IoT SDK clients trusting the
 * hub's CA. Other areas' tests use it too (routing, service API, agent, modules).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import deviceSdk, { type Client, type ModuleClient } from 'azure-iot-device';
import deviceMqtt from 'azure-iot-device-mqtt';
import { startHub, type Hub, type StartHubOptions } from '../../runtime/hub/start-hub.js';
import { formatDeviceConnectionString } from '../../runtime/hub/connection-string.js';
import type { IdentityRef } from '../../runtime/hub/identity-id.js';
import { ConnectionTable } from '../../runtime/hub/connection-table.js';
import { openHubStore } from '../../runtime/hub/store/hub-store.js';
import { silentLogger } from '../../runtime/log/create-logger.js';
import { systemClock } from '../../runtime/clock.js';
import { EdgeRouter, type EdgeRouterOptions } from '../../runtime/routing/edge-router.js';

export interface TestHubOptions extends Partial<StartHubOptions> {
  /** edgeHub routing, wired before the hub listens (as the composition root does); `t.router`. */
  routing?: Omit<EdgeRouterOptions, 'store' | 'connections' | 'stateDir'>;
}

export interface TestHub {
  hub: Hub;
  /** With `routing`: the router. */
  router: EdgeRouter | undefined;
  stateDir: string;
  /** `HostName=localhost:<port>;DeviceId=…[;ModuleId=…];SharedAccessKey=<primary>` */
  connectionString(ref: IdentityRef): string;
  /** Creates a device (edge: with $edgeAgent/$edgeHub) unless it exists. */
  createDevice(deviceId: string, options?: { edge?: boolean }): void;
  /** Creates a module (and its device when missing) unless it exists. */
  createModule(deviceId: string, moduleId: string): void;
  /** An opened device Client (MQTT over TLS, trusting the hub CA); closed by `close()`. */
  deviceClient(deviceId: string): Promise<Client>;
  /** An opened ModuleClient; closed by `close()`. */
  moduleClient(deviceId: string, moduleId: string): Promise<ModuleClient>;
  /** Closes the SDK clients made here, the router, the hub, the store it opened, and removes the state dir. */
  close(): Promise<void>;
}

export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const stateDir = options.stateDir ?? mkdtempSync(path.join(tmpdir(), 'edgemu-hub-test-'));
  const { routing, ...hubOptions } = options;
  const connections = options.connections ?? new ConnectionTable({ clock: options.clock ?? systemClock, logger: options.logger ?? silentLogger() });
  const store = options.store ?? openHubStore({ stateDir, connectionState: (ref) => connections.isConnected(ref) });
  const router = routing ? new EdgeRouter({ ...routing, store, connections, stateDir }) : undefined;
  const hub = await startHub({ bindAddress: '127.0.0.1', mqttsPort: 0, ...hubOptions, ...(router ? { router } : {}), store, connections, stateDir });
  const clients: Array<{ close(): Promise<unknown> }> = [];
  const connectionString = (ref: IdentityRef): string => {
    const identity = hub.store.identities.get(ref);
    if (!identity) throw new Error(`no identity ${JSON.stringify(ref)}`);
    return formatDeviceConnectionString({ hostName: `localhost:${hub.mqttsPort}`, deviceId: ref.deviceId, moduleId: ref.moduleId, key: identity.primaryKey });
  };
  const createDevice = (deviceId: string, o: { edge?: boolean } = {}) => {
    if (!hub.store.identities.get({ deviceId })) hub.store.identities.createDevice(deviceId, o);
  };
  const createModule = (deviceId: string, moduleId: string) => {
    createDevice(deviceId);
    if (!hub.store.identities.get({ deviceId, moduleId })) hub.store.identities.createModule(deviceId, moduleId);
  };
  return {
    hub,
    router,
    stateDir,
    connectionString,
    createDevice,
    createModule,
    async deviceClient(deviceId) {
      createDevice(deviceId);
      const client = deviceSdk.Client.fromConnectionString(connectionString({ deviceId }), deviceMqtt.Mqtt);
      await client.setOptions({ ca: hub.caCert });
      await client.open();
      clients.push(client);
      return client;
    },
    async moduleClient(deviceId, moduleId) {
      createModule(deviceId, moduleId);
      const client = deviceSdk.ModuleClient.fromConnectionString(connectionString({ deviceId, moduleId }), deviceMqtt.Mqtt);
      await client.setOptions({ ca: hub.caCert });
      await client.open();
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
      router?.close();
      await hub.close();
      if (!options.store) store.close();
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Polls `condition` every 20 ms until it holds; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
