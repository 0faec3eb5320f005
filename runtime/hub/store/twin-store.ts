import { HubError } from '../errors.js';
import type { IdentityRef } from '../identity-id.js';
import {
  applyMergePatch,
  applyPatchMetadata,
  diffToMergePatch,
  emptyMetadata,
  etagOf,
  type JsonObject,
  type MetadataNode,
} from '../twin-patch.js';
import { checkSectionSize, checkTwinPatch, dottedPath, type TwinProblem } from '../../twin/index.js';
import type { Db, TxRunner } from './sqlite-db.js';
import { Listeners } from './listeners.js';
import type { Clock } from '../../clock.js';

/** What is stored per twin. */
interface TwinDoc {
  tags: JsonObject;
  desired: JsonObject;
  desiredVersion: number;
  desiredMeta: MetadataNode;
  reported: JsonObject;
  reportedVersion: number;
  reportedMeta: MetadataNode;
}

/** A twin as the IoT Hub service API returns it (`GET /twins/{id}[/modules/{mid}]`). */
export interface Twin {
  deviceId: string;
  moduleId?: string;
  etag: string;
  version: number;
  status: 'enabled';
  connectionState: 'Connected' | 'Disconnected';
  tags: JsonObject;
  properties: {
    desired: TwinSectionView;
    reported: TwinSectionView;
  };
}

/** A twin section as the service sees it: the properties plus `$metadata` and `$version`. */
export interface TwinSectionView {
  [key: string]: unknown;
  $metadata: MetadataNode;
  $version: number;
}

/** The twin document a device or module gets over MQTT (`$iothub/twin/GET`, learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub). */
export interface DeviceTwinView {
  desired: JsonObject & { $version: number };
  reported: JsonObject & { $version: number };
}

/** A desired-properties change: the merge patch and the new desired `$version`. */
export interface DesiredChange {
  ref: IdentityRef;
  patch: JsonObject;
  version: number;
}

/** A reported-properties change: the merge patch and the new reported `$version`. */
export interface ReportedChange {
  ref: IdentityRef;
  patch: JsonObject;
  version: number;
}

/** Options of service-side writes: `ifMatch` is the ETag precondition (`*` or absent = any). */
export interface WriteOptions {
  ifMatch?: string | undefined;
}

interface ScanRow {
  device_id: string;
  module_id: string;
  version: number;
  doc: string;
}

const viewOf = (doc: TwinDoc): DeviceTwinView => ({ desired: { ...doc.desired, $version: doc.desiredVersion }, reported: { ...doc.reported, $version: doc.reportedVersion } });

/** Twins whose serialised device view `getDeviceViewJson` keeps. */
const VIEW_CACHE_SIZE = 64;
const key = (ref: IdentityRef) => [ref.deviceId, ref.moduleId ?? ''] as const;

/**
 * Twins of devices and modules, persisted in SQLite, with IoT Hub's semantics: merge-patch
 * with `null` removing keys, `$version` per section, `$metadata`, tags, an ETag per twin
 * version, and the key/depth/size rules. Listeners hear about desired and reported changes
 * after commit — the hub pushes desired patches to connected clients from here, so every
 * writer (service API, deploy, tests) goes through one code path.
 */
export class TwinStore {
  readonly desiredChanges: Listeners<DesiredChange>;
  readonly reportedChanges: Listeners<ReportedChange>;
  readonly tagsChanges: Listeners<IdentityRef>;
  private readonly stmt;

  constructor(
    db: Db,
    private readonly tx: TxRunner,
    private readonly clock: Clock,
    onListenerError: (error: unknown) => void,
    /** Live connection state for reads (the composition root passes the hub's connection table). */
    private readonly connectionState: (ref: IdentityRef) => 'Connected' | 'Disconnected' = () => 'Disconnected',
  ) {
    this.desiredChanges = new Listeners(onListenerError);
    this.reportedChanges = new Listeners(onListenerError);
    this.tagsChanges = new Listeners(onListenerError);
    this.stmt = {
      get: db.prepare<[string, string], { version: number; doc: string }>('SELECT version, doc FROM twins WHERE device_id = ? AND module_id = ?'),
      insert: db.prepare('INSERT OR IGNORE INTO twins (device_id, module_id, version, doc) VALUES (?, ?, ?, ?)'),
      update: db.prepare('UPDATE twins SET version = ?, doc = ? WHERE device_id = ? AND module_id = ?'),
      deleteOne: db.prepare('DELETE FROM twins WHERE device_id = ? AND module_id = ?'),
      deleteDevice: db.prepare('DELETE FROM twins WHERE device_id = ?'),
      scanDevices: db.prepare<[], ScanRow>("SELECT device_id, module_id, version, doc FROM twins WHERE module_id = '' ORDER BY device_id"),
      scanModules: db.prepare<[], ScanRow>("SELECT device_id, module_id, version, doc FROM twins WHERE module_id != '' ORDER BY device_id, module_id"),
    };
  }

  /** Subscribes to desired changes (after commit); returns an unsubscribe function. */
  onDesiredChanged(listener: (change: DesiredChange) => void): () => void {
    return this.desiredChanges.add(listener);
  }

  /** Subscribes to reported changes (after commit); returns an unsubscribe function. */
  onReportedChanged(listener: (change: ReportedChange) => void): () => void {
    return this.reportedChanges.add(listener);
  }

  /** Subscribes to service writes of a twin's tags (after commit): what deployment target conditions mostly test. */
  onTagsChanged(listener: (ref: IdentityRef) => void): () => void {
    return this.tagsChanges.add(listener);
  }

  /** Creates the empty twin of a new identity (registry hook). */
  create(ref: IdentityRef): void {
    const now = this.now();
    const doc: TwinDoc = {
      tags: {},
      desired: {},
      desiredVersion: 1,
      desiredMeta: emptyMetadata(now, 1),
      reported: {},
      reportedVersion: 1,
      reportedMeta: emptyMetadata(now),
    };
    this.stmt.insert.run(...key(ref), 1, JSON.stringify(doc));
  }

  /** Removes one module twin, or every twin of a device (registry hook). */
  remove(deviceId: string, moduleId: string | undefined): void {
    if (moduleId) this.stmt.deleteOne.run(deviceId, moduleId);
    else this.stmt.deleteDevice.run(deviceId);
  }

  /** The service view of a twin; undefined when the identity does not exist. */
  get(ref: IdentityRef): Twin | undefined {
    const loaded = this.load(ref);
    return loaded ? this.toTwin(ref, loaded.version, loaded.doc) : undefined;
  }

  /**
   * Every device twin, or every module twin (`modules`), ordered by device then module id: the
   * scan behind twin queries (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language).
   * Rows are read lazily; nothing may write to the store until the iteration ends.
   */
  *scan(modules: boolean): Generator<Twin> {
    const stmt = modules ? this.stmt.scanModules : this.stmt.scanDevices;
    for (const row of stmt.iterate()) {
      const ref: IdentityRef = row.module_id === '' ? { deviceId: row.device_id } : { deviceId: row.device_id, moduleId: row.module_id };
      yield this.toTwin(ref, row.version, JSON.parse(row.doc) as TwinDoc);
    }
  }

  /** The device/module view (`{desired, reported}` with `$version`); undefined when missing. */
  getDeviceView(ref: IdentityRef): DeviceTwinView | undefined {
    const loaded = this.load(ref);
    if (!loaded) return undefined;
    return viewOf(loaded.doc);
  }

  /**
   * `getDeviceView` serialised as JSON: what a device's twin GET answers. A client that asks
   * again and again for an unchanged twin gets the serialisation made the first time — the
   * stored document is compared as a string, so any write (or a delete and re-create) makes a
   * new one. Bounded to the most recently read `VIEW_CACHE_SIZE` twins.
   */
  getDeviceViewJson(ref: IdentityRef): string | undefined {
    const row = this.stmt.get.get(...key(ref));
    const k = `${ref.deviceId}/${ref.moduleId ?? ''}`;
    if (!row) {
      this.viewCache.delete(k);
      return undefined;
    }
    const cached = this.viewCache.get(k);
    if (cached?.doc === row.doc) return cached.json;
    const json = JSON.stringify(viewOf(JSON.parse(row.doc) as TwinDoc));
    this.viewCache.delete(k);
    this.viewCache.set(k, { doc: row.doc, json });
    if (this.viewCache.size > VIEW_CACHE_SIZE) this.viewCache.delete(this.viewCache.keys().next().value!);
    return json;
  }

  private readonly viewCache = new Map<string, { doc: string; json: string }>();

  /**
   * Applies a reported patch from the device/module itself. Throws HUB_INVALID_TWIN (400)
   * when the patch breaks IoT Hub's rules; returns the new reported `$version`.
   */
  patchReported(ref: IdentityRef, patch: unknown): { version: number } {
    assertValid(checkTwinPatch(patch));
    return this.tx.run(() => {
      const { version, doc } = this.mustLoad(ref);
      const reported = applyMergePatch(doc.reported, patch as JsonObject);
      assertValid(checkSectionSize(reported, 'reported'));
      const next: TwinDoc = {
        ...doc,
        reported,
        reportedVersion: doc.reportedVersion + 1,
        reportedMeta: applyPatchMetadata(doc.reportedMeta, patch as JsonObject, this.now()),
      };
      this.save(ref, version + 1, next);
      const change: ReportedChange = { ref, patch: patch as JsonObject, version: next.reportedVersion };
      this.tx.afterCommit(() => this.reportedChanges.emit(change));
      return { version: next.reportedVersion };
    });
  }

  /** Merges a desired patch (service side). Throws HUB_INVALID_TWIN / HUB_PRECONDITION_FAILED. */
  patchDesired(ref: IdentityRef, patch: unknown, options: WriteOptions = {}): Twin {
    return this.update(ref, { properties: { desired: patch } }, options);
  }

  /**
   * Replaces the whole desired section (applyConfigurationContent, PUT twin). Connected
   * clients receive the difference as a merge patch (removed keys as `null`).
   */
  replaceDesired(ref: IdentityRef, desired: unknown, options: WriteOptions = {}): Twin {
    assertValid(checkTwinPatch(desired));
    return this.tx.run(() => {
      const { doc } = this.mustLoad(ref);
      const patch = diffToMergePatch(doc.desired, desired as JsonObject);
      return this.update(ref, { properties: { desired: patch } }, options, true);
    });
  }

  /**
   * The service PATCH of a twin: `tags` and `properties.desired` are merge patches
   * (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-device-twins). Reported properties cannot be written by the service.
   */
  update(ref: IdentityRef, body: { tags?: unknown; properties?: { desired?: unknown } }, options: WriteOptions = {}, alwaysBump = false): Twin {
    const tags = body.tags;
    const desired = body.properties?.desired;
    if (tags !== undefined) assertValid(checkTwinPatch(tags));
    if (desired !== undefined) assertValid(checkTwinPatch(desired));
    return this.tx.run(() => {
      const { version, doc } = this.mustLoad(ref);
      checkEtag(options.ifMatch, version);
      const now = this.now();
      let next: TwinDoc = doc;
      if (tags !== undefined) {
        next = { ...next, tags: applyMergePatch(next.tags, tags as JsonObject) };
        assertValid(checkSectionSize(next.tags, 'tags'));
      }
      let change: DesiredChange | undefined;
      if (desired !== undefined && (alwaysBump || Object.keys(desired as JsonObject).length > 0)) {
        const desiredVersion = next.desiredVersion + 1;
        const merged = applyMergePatch(next.desired, desired as JsonObject);
        assertValid(checkSectionSize(merged, 'desired'));
        next = {
          ...next,
          desired: merged,
          desiredVersion,
          desiredMeta: applyPatchMetadata(next.desiredMeta, desired as JsonObject, now, desiredVersion),
        };
        change = { ref, patch: desired as JsonObject, version: desiredVersion };
      }
      this.save(ref, version + 1, next);
      if (tags !== undefined) this.tx.afterCommit(() => this.tagsChanges.emit(ref));
      if (change) {
        const c = change;
        this.tx.afterCommit(() => this.desiredChanges.emit(c));
      }
      return this.toTwin(ref, version + 1, next);
    });
  }

  private load(ref: IdentityRef): { version: number; doc: TwinDoc } | undefined {
    const row = this.stmt.get.get(...key(ref));
    return row ? { version: row.version, doc: JSON.parse(row.doc) as TwinDoc } : undefined;
  }

  private mustLoad(ref: IdentityRef): { version: number; doc: TwinDoc } {
    const loaded = this.load(ref);
    if (loaded) return loaded;
    throw ref.moduleId
      ? new HubError('HUB_MODULE_NOT_FOUND', `module ${ref.deviceId}/${ref.moduleId} does not exist`)
      : new HubError('HUB_DEVICE_NOT_FOUND', `device ${ref.deviceId} does not exist`);
  }

  private save(ref: IdentityRef, version: number, doc: TwinDoc): void {
    this.stmt.update.run(version, JSON.stringify(doc), ...key(ref));
  }

  private toTwin(ref: IdentityRef, version: number, doc: TwinDoc): Twin {
    return {
      deviceId: ref.deviceId,
      ...(ref.moduleId ? { moduleId: ref.moduleId } : {}),
      etag: etagOf(version),
      version,
      status: 'enabled',
      connectionState: this.connectionState(ref),
      tags: doc.tags,
      properties: {
        desired: { ...doc.desired, $metadata: doc.desiredMeta, $version: doc.desiredVersion },
        reported: { ...doc.reported, $metadata: doc.reportedMeta, $version: doc.reportedVersion },
      },
    };
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function assertValid(problems: TwinProblem[]): void {
  if (problems.length > 0) {
    const issues = problems.map((p) => ({ path: dottedPath(p.segments), code: p.code, message: p.message }));
    const text = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    throw new HubError('HUB_INVALID_TWIN', `invalid twin document: ${text}`, { details: { issues } });
  }
}

/** `If-Match` per IoT Hub: absent or `*` matches anything; otherwise the (optionally quoted) ETag must equal the current one. */
function checkEtag(ifMatch: string | undefined, version: number): void {
  if (ifMatch === undefined || ifMatch === '*' || ifMatch === '"*"') return;
  const given = ifMatch.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (given !== etagOf(version)) {
    throw new HubError('HUB_PRECONDITION_FAILED', `twin ETag ${ifMatch} does not match the current ${etagOf(version)}`);
  }
}

