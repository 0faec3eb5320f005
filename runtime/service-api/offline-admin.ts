import { existsSync } from 'node:fs';
import path from 'node:path';
import { EdgemuError } from '../errors.js';
import { deviceConnectionString, HUB_DB_FILE, openHubStore, resolveHubAddress, serviceConnectionString, type HubAddress, type Identity, type IdentityRef } from '../hub/index.js';
import type { Logger } from '../log/create-logger.js';
import type { HubAdmin } from './hub-admin-port.js';
import { runTwinQuery } from './run-twin-query.js';

/**
 * Offline administration: the one place the CLI opens a state dir's store itself, used only
 * when no hub runs there (a running hub owns its store; the CLI then goes through the service
 * API, hub-admin.ts). The store is opened with the hub's one SQLite opener (hub/store/sqlite-db.ts).
 */
export function openOfflineAdmin(stateDir: string, options: { logger: Logger; mustExist?: boolean }): HubAdmin {
  // A read-only command must not create an empty state dir where there is none.
  if (options.mustExist && !existsSync(path.join(stateDir, HUB_DB_FILE))) {
    throw new EdgemuError('AGENT_NO_STATE', `no edgemu state in ${stateDir} (start it with \`edgemu up\`, or pass the --state-dir it uses)`);
  }
  const store = openHubStore({ stateDir, logger: options.logger });
  return {
    online: false,
    async createIdentities(deviceId: string, opts: { edge?: boolean; moduleId?: string | undefined }): Promise<Identity[]> {
      return store.transaction(() => {
        const out: Identity[] = [];
        const device = store.identities.get({ deviceId });
        if (!device || !opts.moduleId) {
          out.push(store.identities.createDevice(deviceId, { edge: Boolean(opts.edge) }));
          if (opts.edge) out.push(...store.identities.listDevice(deviceId).filter((i) => i.moduleId));
        }
        if (opts.moduleId) out.push(store.identities.createModule(deviceId, opts.moduleId));
        return out;
      });
    },
    async listIdentities(deviceId?: string): Promise<Identity[]> {
      return deviceId ? store.identities.listDevice(deviceId) : store.identities.list();
    },
    async deleteIdentity(ref: IdentityRef): Promise<void> {
      store.identities.delete(ref);
    },
    async getIdentity(ref: IdentityRef): Promise<Identity | undefined> {
      return store.identities.get(ref);
    },
    async ensureModule(deviceId: string, moduleId: string) {
      const existing = store.identities.get({ deviceId, moduleId });
      return existing ? { identity: existing, created: false } : { identity: store.identities.ensureModule(deviceId, moduleId), created: true };
    },
    async edgeAgentDesired(deviceId: string): Promise<Record<string, unknown> | undefined> {
      return store.twins.getDeviceView({ deviceId, moduleId: '$edgeAgent' })?.desired as Record<string, unknown> | undefined;
    },
    async address(): Promise<HubAddress> {
      return resolveHubAddress(store);
    },
    async deviceConnectionString(ref: IdentityRef, address: HubAddress): Promise<string> {
      return deviceConnectionString(store, ref, address);
    },
    async serviceConnectionString(address: HubAddress): Promise<string> {
      return serviceConnectionString(store, address);
    },
    async edgeAgentReport(deviceId: string) {
      const device = store.identities.get({ deviceId });
      if (!device) throw new EdgemuError('AGENT_DEVICE_NOT_FOUND', `device ${deviceId} does not exist in ${stateDir}`);
      if (!device.isEdge) throw new EdgemuError('AGENT_NOT_EDGE_DEVICE', `device ${deviceId} is not an IoT Edge device: it has no edge agent`);
      const twin = store.twins.get({ deviceId, moduleId: '$edgeAgent' });
      const { $metadata: _m, $version: _v, ...reported } = (twin?.properties.reported ?? {}) as Record<string, unknown>;
      return { reported, desiredVersion: twin?.properties.desired.$version as number | undefined };
    },
    async query(text: string, page: { maxItemCount?: number; continuation?: string | undefined }) {
      return runTwinQuery(store, text, page);
    },
    close(): void {
      store.close();
    },
  };
}
