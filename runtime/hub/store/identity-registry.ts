import { randomUUID } from 'node:crypto';
import { HubError } from '../errors.js';
import { assertValidId, SYSTEM_MODULE_IDS, type IdentityRef } from '../identity-id.js';
import { generateKey } from '../keys.js';
import type { Db, TxRunner } from './sqlite-db.js';
import type { Clock } from '../../clock.js';
import { Listeners } from './listeners.js';

/** A device or module identity with its symmetric keys (IoT Hub identity registry entry). */
export interface Identity {
  deviceId: string;
  /** Absent for a device identity. */
  moduleId?: string | undefined;
  /** True for an IoT Edge device (only meaningful on device identities). */
  isEdge: boolean;
  primaryKey: string;
  secondaryKey: string;
  /** `managedBy` as IoT Hub sets it on system modules (`iotEdge`). */
  managedBy?: string | undefined;
  generationId: string;
  createdTime: string;
}

/** The hub-level shared access policy (`iothubowner`: registry read/write, service connect). */
export interface ServicePolicy {
  name: string;
  primaryKey: string;
  secondaryKey: string;
}

interface Row {
  device_id: string;
  module_id: string;
  is_edge: number;
  primary_key: string;
  secondary_key: string;
  managed_by: string | null;
  generation_id: string;
  created_at: string;
}

const toIdentity = (r: Row): Identity => ({
  deviceId: r.device_id,
  moduleId: r.module_id === '' ? undefined : r.module_id,
  isEdge: r.is_edge === 1,
  primaryKey: r.primary_key,
  secondaryKey: r.secondary_key,
  managedBy: r.managed_by ?? undefined,
  generationId: r.generation_id,
  createdTime: r.created_at,
});

/** Hooks the registry calls inside its transactions (the twin store creates/deletes twins). */
export interface RegistryHooks {
  created(ref: IdentityRef): void;
  deleted(deviceId: string, moduleId: string | undefined): void;
}

/**
 * The identity registry: devices (IoT Edge devices get `$edgeAgent` and `$edgeHub` module
 * identities automatically, as IoT Hub does when a device is created with edge capability),
 * modules, their keys, and the service policy. Reads go to SQLite every time, so identities
 * created by another process (the CLI) are seen by a running hub at the next connect.
 */
export class IdentityRegistry {
  /** Deleted identities (after commit; a device deletion also covers its modules). A running hub disconnects them. */
  readonly deletions = new Listeners<IdentityRef>();
  /** Identities created in this process (after commit); a device's edge modules come with it. */
  readonly creations = new Listeners<IdentityRef>();
  private readonly stmt;

  constructor(
    private readonly db: Db,
    private readonly tx: TxRunner,
    private readonly clock: Clock,
    private readonly hooks: RegistryHooks,
  ) {
    this.stmt = {
      get: db.prepare<[string, string], Row>('SELECT * FROM identities WHERE device_id = ? AND module_id = ?'),
      insert: db.prepare(
        'INSERT INTO identities (device_id, module_id, is_edge, primary_key, secondary_key, managed_by, generation_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      listAll: db.prepare<[], Row>('SELECT * FROM identities ORDER BY device_id, module_id'),
      listDevices: db.prepare<[], Row>("SELECT * FROM identities WHERE module_id = '' ORDER BY device_id"),
      listModules: db.prepare<[], Row>("SELECT * FROM identities WHERE module_id != '' ORDER BY device_id, module_id"),
      listDevice: db.prepare<[string], Row>('SELECT * FROM identities WHERE device_id = ? ORDER BY module_id'),
      deleteOne: db.prepare('DELETE FROM identities WHERE device_id = ? AND module_id = ?'),
      deleteDevice: db.prepare('DELETE FROM identities WHERE device_id = ?'),
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    };
  }

  /** Looks up a device (`moduleId` absent) or module identity. */
  get(ref: IdentityRef): Identity | undefined {
    const row = this.stmt.get.get(ref.deviceId, ref.moduleId ?? '');
    return row ? toIdentity(row) : undefined;
  }

  /** Every identity, devices and modules (or only `devices` / only `modules`), sorted by device then module id. */
  list(only?: 'devices' | 'modules'): Identity[] {
    const stmt = only === 'devices' ? this.stmt.listDevices : only === 'modules' ? this.stmt.listModules : this.stmt.listAll;
    return stmt.all().map(toIdentity);
  }

  /** A device and its modules (device first). */
  listDevice(deviceId: string): Identity[] {
    return this.stmt.listDevice.all(deviceId).map(toIdentity);
  }

  /** Creates a device (and for `edge`, its `$edgeAgent`/`$edgeHub` modules). Throws HUB_DEVICE_EXISTS. */
  createDevice(deviceId: string, options: { edge?: boolean; primaryKey?: string; secondaryKey?: string } = {}): Identity {
    assertValidId('device', deviceId);
    return this.tx.run(() => {
      if (this.stmt.get.get(deviceId, '')) throw new HubError('HUB_DEVICE_EXISTS', `device ${deviceId} already exists`);
      const device = this.insert({ deviceId }, Boolean(options.edge), undefined, options.primaryKey, options.secondaryKey);
      if (options.edge) for (const m of SYSTEM_MODULE_IDS) this.insert({ deviceId, moduleId: m }, false, 'iotEdge');
      this.tx.afterCommit(() => this.creations.emit({ deviceId }));
      return device;
    });
  }

  /** Creates a module identity of an existing device. Throws HUB_DEVICE_NOT_FOUND / HUB_MODULE_EXISTS. */
  createModule(deviceId: string, moduleId: string, options: { primaryKey?: string; secondaryKey?: string; managedBy?: string } = {}): Identity {
    assertValidId('module', moduleId);
    return this.tx.run(() => {
      if (!this.stmt.get.get(deviceId, '')) throw new HubError('HUB_DEVICE_NOT_FOUND', `device ${deviceId} does not exist`);
      if (this.stmt.get.get(deviceId, moduleId)) throw new HubError('HUB_MODULE_EXISTS', `module ${deviceId}/${moduleId} already exists`);
      const module = this.insert({ deviceId, moduleId }, false, options.managedBy, options.primaryKey, options.secondaryKey);
      this.tx.afterCommit(() => this.creations.emit({ deviceId, moduleId }));
      return module;
    });
  }

  /** Returns the module identity, creating it when missing (the agent and `deploy` use this). */
  ensureModule(deviceId: string, moduleId: string): Identity {
    return this.tx.run(() => this.get({ deviceId, moduleId }) ?? this.createModule(deviceId, moduleId));
  }

  /**
   * Deletes a module, or a device with all its modules, twins and queued C2D messages.
   * Throws HUB_DEVICE_NOT_FOUND / HUB_MODULE_NOT_FOUND.
   */
  delete(ref: IdentityRef): void {
    this.tx.run(() => {
      if (ref.moduleId) {
        if (this.stmt.deleteOne.run(ref.deviceId, ref.moduleId).changes === 0) {
          throw new HubError('HUB_MODULE_NOT_FOUND', `module ${ref.deviceId}/${ref.moduleId} does not exist`);
        }
      } else if (this.stmt.deleteDevice.run(ref.deviceId).changes === 0) {
        throw new HubError('HUB_DEVICE_NOT_FOUND', `device ${ref.deviceId} does not exist`);
      }
      this.hooks.deleted(ref.deviceId, ref.moduleId);
      const deleted: IdentityRef = ref.moduleId ? { deviceId: ref.deviceId, moduleId: ref.moduleId } : { deviceId: ref.deviceId };
      this.tx.afterCommit(() => this.deletions.emit(deleted));
    });
  }

  /** The `iothubowner` policy, created with fresh keys the first time a store is opened. */
  servicePolicy(): ServicePolicy {
    const existing = this.stmt.getMeta.get('servicePolicy');
    if (existing) return JSON.parse(existing.value) as ServicePolicy;
    return this.tx.run(() => {
      const again = this.stmt.getMeta.get('servicePolicy');
      if (again) return JSON.parse(again.value) as ServicePolicy;
      const policy: ServicePolicy = { name: 'iothubowner', primaryKey: generateKey(), secondaryKey: generateKey() };
      this.stmt.setMeta.run('servicePolicy', JSON.stringify(policy));
      return policy;
    });
  }

  /** A persistent hub setting (e.g. the host name of the last hub start), for CLI commands. */
  getSetting(key: string): string | undefined {
    return this.stmt.getMeta.get(`setting:${key}`)?.value;
  }

  setSetting(key: string, value: string): void {
    this.stmt.setMeta.run(`setting:${key}`, value);
  }

  private insert(ref: IdentityRef, isEdge: boolean, managedBy?: string, primaryKey?: string, secondaryKey?: string): Identity {
    const row: Row = {
      device_id: ref.deviceId,
      module_id: ref.moduleId ?? '',
      is_edge: isEdge ? 1 : 0,
      primary_key: primaryKey ?? generateKey(),
      secondary_key: secondaryKey ?? generateKey(),
      managed_by: managedBy ?? null,
      generation_id: randomUUID(),
      created_at: new Date(this.clock.now()).toISOString(),
    };
    this.stmt.insert.run(row.device_id, row.module_id, row.is_edge, row.primary_key, row.secondary_key, row.managed_by, row.generation_id, row.created_at);
    this.hooks.created(ref);
    return toIdentity(row);
  }
}
