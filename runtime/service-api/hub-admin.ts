import { EdgemuError } from '../errors.js';
import { DEFAULT_AMQPS_PORT,
  DEFAULT_MQTTS_PORT,
  hostWithPort,
  formatDeviceConnectionString,
  formatServiceConnectionString,
  readDiscovery,
  type HubAddress,
  type Identity,
  type IdentityRef,
} from '../hub/index.js';
import type { Logger } from '../log/create-logger.js';
import { connectToRunningHub, ServiceClientError, type ServiceClient } from './service-client.js';
import { openOfflineAdmin } from './offline-admin.js';
import type { HubAdmin } from './hub-admin-port.js';

export type { HubAdmin } from './hub-admin-port.js';

/** The admin for `stateDir`: online when a hub with a service API runs there, else offline. `mustExist` refuses a state dir without a store (read-only commands). */
export function openHubAdmin(stateDir: string, options: { logger: Logger; mustExist?: boolean }): HubAdmin {
  const running = readDiscovery(stateDir);
  if (running?.httpsPort !== undefined) {
    return new OnlineAdmin(connectToRunningHub(stateDir), {
      hostName: running.hostName,
      mqttsPort: running.mqttsPort,
      httpsPort: running.httpsPort,
      amqpsPort: running.amqpsPort ?? DEFAULT_AMQPS_PORT,
      running: true,
    });
  }
  return openOfflineAdmin(stateDir, options);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** An identity from IoT Hub's device/module JSON (service-api/identity-json.ts). */
function identityOf(json: Record<string, unknown>): Identity {
  const auth = (json.authentication as { symmetricKey?: { primaryKey?: unknown; secondaryKey?: unknown } } | undefined)?.symmetricKey ?? {};
  const moduleId = typeof json.moduleId === 'string' ? json.moduleId : undefined;
  return {
    deviceId: str(json.deviceId),
    ...(moduleId !== undefined ? { moduleId } : {}),
    isEdge: moduleId === undefined && (json.capabilities as { iotEdge?: unknown } | undefined)?.iotEdge === true,
    primaryKey: str(auth.primaryKey),
    secondaryKey: str(auth.secondaryKey),
    ...(typeof json.managedBy === 'string' ? { managedBy: json.managedBy } : {}),
    generationId: str(json.generationId),
    createdTime: str(json.connectionStateUpdatedTime),
  };
}

const notFound = (error: unknown): boolean => error instanceof ServiceClientError && error.status === 404;

class OnlineAdmin implements HubAdmin {
  readonly online = true;

  constructor(
    private readonly client: ServiceClient,
    private readonly hubAddress: HubAddress,
  ) {}

  async createIdentities(deviceId: string, options: { edge?: boolean; moduleId?: string | undefined }): Promise<Identity[]> {
    const out: Identity[] = [];
    const exists = options.moduleId ? await this.client.getIdentity({ deviceId }).then(() => true, (e: unknown) => (notFound(e) ? false : Promise.reject(e))) : false;
    if (!exists) {
      out.push(identityOf(await this.client.createIdentity({ deviceId }, { edge: Boolean(options.edge) })));
      if (options.edge) out.push(...(await this.client.listModules(deviceId)).map(identityOf));
    }
    if (options.moduleId) out.push(identityOf(await this.client.createIdentity({ deviceId, moduleId: options.moduleId })));
    return out;
  }

  async listIdentities(deviceId?: string): Promise<Identity[]> {
    const devices = deviceId
      ? [await this.client.getIdentity({ deviceId }).catch((e: unknown) => (notFound(e) ? undefined : Promise.reject(e)))].filter((d) => d !== undefined)
      : await this.client.listDevices();
    const out: Identity[] = [];
    for (const device of devices.map(identityOf).sort((a, b) => a.deviceId.localeCompare(b.deviceId))) {
      out.push(device, ...(await this.client.listModules(device.deviceId)).map(identityOf));
    }
    return out;
  }

  async deleteIdentity(ref: IdentityRef): Promise<void> {
    await this.client.deleteIdentity(ref);
  }

  async getIdentity(ref: IdentityRef): Promise<Identity | undefined> {
    return this.client.getIdentity(ref).then(identityOf, (e: unknown) => (notFound(e) ? undefined : Promise.reject(e)));
  }

  async ensureModule(deviceId: string, moduleId: string): Promise<{ identity: Identity; created: boolean }> {
    const existing = await this.getIdentity({ deviceId, moduleId });
    if (existing) return { identity: existing, created: false };
    return { identity: identityOf(await this.client.createIdentity({ deviceId, moduleId })), created: true };
  }

  async edgeAgentDesired(deviceId: string): Promise<Record<string, unknown> | undefined> {
    const twin = await this.client.getTwin({ deviceId, moduleId: '$edgeAgent' }).catch((e: unknown) => (notFound(e) ? undefined : Promise.reject(e)));
    if (!twin) return undefined;
    const { $metadata: _m, ...desired } = twin.properties.desired as Record<string, unknown>;
    return desired;
  }

  async address(): Promise<HubAddress> {
    return this.hubAddress;
  }

  async deviceConnectionString(ref: IdentityRef, address: HubAddress): Promise<string> {
    const identity = identityOf(await this.client.getIdentity(ref));
    return formatDeviceConnectionString({
      hostName: hostWithPort(address.hostName, address.mqttsPort, DEFAULT_MQTTS_PORT),
      deviceId: ref.deviceId,
      moduleId: ref.moduleId,
      key: identity.primaryKey,
    });
  }

  async serviceConnectionString(address: HubAddress): Promise<string> {
    const { policyName, policyKey } = this.client.policy();
    return formatServiceConnectionString({ hostName: hostWithPort(address.hostName, address.httpsPort, 443), policyName, key: policyKey });
  }

  async edgeAgentReport(deviceId: string): Promise<{ reported: Record<string, unknown>; desiredVersion: number | undefined }> {
    let device: Identity;
    try {
      device = identityOf(await this.client.getIdentity({ deviceId }));
    } catch (error) {
      if (notFound(error)) throw new EdgemuError('AGENT_DEVICE_NOT_FOUND', `device ${deviceId} does not exist in the running hub`);
      throw error;
    }
    if (!device.isEdge) throw new EdgemuError('AGENT_NOT_EDGE_DEVICE', `device ${deviceId} is not an IoT Edge device: it has no edge agent`);
    const twin = await this.client.getTwin({ deviceId, moduleId: '$edgeAgent' }).catch((e: unknown) => (notFound(e) ? undefined : Promise.reject(e)));
    const { $metadata: _m, $version: _v, ...reported } = (twin?.properties.reported ?? {}) as Record<string, unknown>;
    return { reported, desiredVersion: twin?.properties.desired.$version as number | undefined };
  }

  query(text: string, page: { maxItemCount?: number; continuation?: string | undefined }) {
    return this.client.query(text, page);
  }

  close(): void {
    this.client.close();
  }
}
