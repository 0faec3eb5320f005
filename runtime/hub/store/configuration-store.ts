import type { Db, TxRunner } from './sqlite-db.js';
import { Listeners } from './listeners.js';
import type { Clock } from '../../clock.js';

/** One stored IoT Hub configuration: the document the service gave plus what the hub keeps itself. */
export interface StoredConfiguration {
  id: string;
  /** Bumped on every write; the ETag is derived from it. */
  version: number;
  createdTimeUtc: string;
  lastUpdatedTimeUtc: string;
  /** The configuration as written (`targetCondition`, `priority`, `labels`, `content`, `metrics.queries` …). */
  doc: Record<string, unknown>;
}

/** Whether a configuration targets a device only or is the one (or a layer) applied there, as IoT Hub's twin `configurations` member says. */
export type ConfigurationStatus = 'Targeted' | 'Applied';

/** What the automatic deployments decided for one edge device, kept between evaluations. */
export interface DeviceConfigurationState {
  /** Every configuration targeting the device, with its status. */
  statuses: Record<string, ConfigurationStatus>;
  /** A digest of the module content last written to the device's module twins, so an unchanged result writes nothing. */
  appliedDigest?: string;
  /** Why the merged content could not be applied (an invalid layer), when it could not. */
  error?: { status: number; message: string; base: string; layers: string[] };
}

/** A configuration was written or deleted (after commit). */
export interface ConfigurationChange {
  id: string;
  deleted: boolean;
}

/**
 * IoT Hub configurations in hub.db, and the per-device state of automatic deployments. Plain
 * storage: the service API checks ids, ETags and content; `changes` fire after commit so the
 * deployment evaluator re-targets the fleet.
 */
export class ConfigurationStore {
  readonly changes: Listeners<ConfigurationChange>;
  private readonly stmt;

  constructor(
    db: Db,
    private readonly tx: TxRunner,
    private readonly clock: Clock,
    onListenerError: (error: unknown) => void,
  ) {
    this.changes = new Listeners(onListenerError);
    this.stmt = {
      list: db.prepare<[], Row>('SELECT id, version, created_at, updated_at, doc FROM configurations ORDER BY id'),
      get: db.prepare<[string], Row>('SELECT id, version, created_at, updated_at, doc FROM configurations WHERE id = ?'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM configurations'),
      insert: db.prepare('INSERT INTO configurations (id, version, created_at, updated_at, doc) VALUES (?, 1, ?, ?, ?)'),
      update: db.prepare('UPDATE configurations SET version = version + 1, updated_at = ?, doc = ? WHERE id = ?'),
      delete: db.prepare('DELETE FROM configurations WHERE id = ?'),
      getState: db.prepare<[string], { doc: string }>('SELECT doc FROM device_configurations WHERE device_id = ?'),
      listStates: db.prepare<[], { device_id: string; doc: string }>('SELECT device_id, doc FROM device_configurations'),
      putState: db.prepare('INSERT INTO device_configurations (device_id, doc) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET doc = excluded.doc'),
      deleteState: db.prepare('DELETE FROM device_configurations WHERE device_id = ?'),
    };
  }

  /** Subscribes to configuration writes and deletions (after commit). */
  onChanged(listener: (change: ConfigurationChange) => void): () => void {
    return this.changes.add(listener);
  }

  list(): StoredConfiguration[] {
    return this.stmt.list.all().map(fromRow);
  }

  get(id: string): StoredConfiguration | undefined {
    const row = this.stmt.get.get(id);
    return row ? fromRow(row) : undefined;
  }

  count(): number {
    return this.stmt.count.get()!.n;
  }

  /** Creates or replaces a configuration; returns what is stored now. */
  put(id: string, doc: Record<string, unknown>): StoredConfiguration {
    return this.tx.run(() => {
      const now = new Date(this.clock.now()).toISOString();
      const json = JSON.stringify(doc);
      if (this.stmt.get.get(id)) this.stmt.update.run(now, json, id);
      else this.stmt.insert.run(id, now, now, json);
      this.tx.afterCommit(() => this.changes.emit({ id, deleted: false }));
      return this.get(id)!;
    });
  }

  /** Deletes a configuration; false when there was none. */
  delete(id: string): boolean {
    return this.tx.run(() => {
      const deleted = this.stmt.delete.run(id).changes > 0;
      if (deleted) this.tx.afterCommit(() => this.changes.emit({ id, deleted: true }));
      return deleted;
    });
  }

  deviceState(deviceId: string): DeviceConfigurationState | undefined {
    const row = this.stmt.getState.get(deviceId);
    return row ? (JSON.parse(row.doc) as DeviceConfigurationState) : undefined;
  }

  /** Every device's state, by device id. */
  deviceStates(): Map<string, DeviceConfigurationState> {
    return new Map(this.stmt.listStates.all().map((r) => [r.device_id, JSON.parse(r.doc) as DeviceConfigurationState]));
  }

  setDeviceState(deviceId: string, state: DeviceConfigurationState): void {
    this.stmt.putState.run(deviceId, JSON.stringify(state));
  }

  /** Forgets a device (registry hook on device deletion). */
  removeDevice(deviceId: string): void {
    this.stmt.deleteState.run(deviceId);
  }
}

interface Row {
  id: string;
  version: number;
  created_at: string;
  updated_at: string;
  doc: string;
}

const fromRow = (row: Row): StoredConfiguration => ({
  id: row.id,
  version: row.version,
  createdTimeUtc: row.created_at,
  lastUpdatedTimeUtc: row.updated_at,
  doc: JSON.parse(row.doc) as Record<string, unknown>,
});
