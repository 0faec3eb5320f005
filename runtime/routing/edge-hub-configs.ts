import type { Logger } from '../log/create-logger.js';
import type { HubStore } from '../hub/index.js';
import { compileEdgeHubDesired, type CompiledRoute } from './edge-hub-config.js';
import { EDGE_HUB_REPORTED_SCHEMA_VERSION, EDGE_HUB_VERSION, desiredStatus } from './edge-hub-reported.js';
import type { EdgeHubReporter } from './edge-hub-reporter.js';
import { sourceMatches } from '../route-language/index.js';

export const EDGE_HUB = '$edgeHub';

/** The routes in force for a sender: its edge device, and `undefined` routes before a first valid configuration. */
export interface RoutesInForce {
  edgeDeviceId: string;
  routes: readonly CompiledRoute[] | undefined;
  /** `storeLimits.maxSizeBytes` of the edge device's configuration in force; undefined = no limit. */
  storeMaxSizeBytes: number | undefined;
}

/**
 * The `$edgeHub` configuration of every edge device: desired properties compiled into routes
 * (a set with any invalid route is refused as a whole — the old routes stay,
 * `lastDesiredStatus` 400, as edgeHub does), applied at once on every valid change, and the
 * edge device whose routes apply to a sender.
 */
export class EdgeHubConfigs {
  /** Per edge device, the routes in force: one object per device, updated in place, handed out by `routesFor` (no object per message). */
  private readonly devices = new Map<string, { edgeDeviceId: string; routes: CompiledRoute[] | undefined; storeMaxSizeBytes: number | undefined }>();

  constructor(
    private readonly store: HubStore,
    private readonly reporter: EdgeHubReporter,
    private readonly logger: Logger,
  ) {}

  /** Loads every edge device of the registry (at router start). */
  loadAll(): void {
    for (const identity of this.store.identities.list()) {
      if (identity.moduleId === EDGE_HUB) this.load(identity.deviceId, true);
    }
  }

  /** The `$edgeHub` desired properties of `deviceId` changed. */
  apply(deviceId: string): void {
    const state = this.devices.get(deviceId);
    if (state === undefined) {
      this.load(deviceId, false); // applies the desired section itself
      return;
    }
    const view = this.store.twins.getDeviceView({ deviceId, moduleId: EDGE_HUB });
    if (!view) return;
    const desiredVersion = view.desired.$version;
    const result = compileEdgeHubDesired(view.desired);
    if (result.ok === 'empty') {
      state.routes = undefined;
      state.storeMaxSizeBytes = undefined;
      this.reporter.report(deviceId, { lastDesiredVersion: desiredVersion });
      return;
    }
    if (result.ok === false) {
      this.logger.warn({ deviceId, desiredVersion, description: result.description }, '$edgeHub configuration refused; previous routes stay in force');
      this.reporter.report(deviceId, { lastDesiredVersion: desiredVersion, lastDesiredStatus: desiredStatus(false, result.description) });
      return;
    }
    state.routes = result.config.routes;
    state.storeMaxSizeBytes = result.config.storeMaxSizeBytes;
    this.logger.info({ deviceId, desiredVersion, routes: state.routes.map((r) => r.name) }, '$edgeHub routes applied');
    this.reporter.report(deviceId, { lastDesiredVersion: desiredVersion, lastDesiredStatus: desiredStatus(true) });
  }

  /** The routes in force for an edge device (undefined before its first valid configuration). */
  routesOf(deviceId: string): readonly CompiledRoute[] | undefined {
    return this.devices.get(deviceId)?.routes;
  }

  /**
   * The edge device whose routes apply to a sender. A module belongs to its own device. A
   * device that is not an edge device is a leaf of an edge device only when that is
   * unambiguous: edgemu has no parent/child link (IoT Hub's device scope), so leaf traffic goes
   * through the routes of the one edge device whose route set has a source taking it
   * (`/*`, `/messages/*`, `/twinChangeNotifications`, …). Otherwise the device is a plain IoT
   * Hub device and its telemetry goes to `$upstream` as IoT Hub would store it.
   */
  edgeDeviceFor(deviceId: string, moduleId: string | undefined, sourcePath: string): string | undefined {
    if (this.devices.has(deviceId)) return deviceId;
    if (moduleId) return undefined;
    let found: string | undefined;
    for (const [edge, state] of this.devices) {
      if (!state.routes?.some((r) => sourceMatches(r.parsed.sourcePrefix, sourcePath))) continue;
      if (found !== undefined) return undefined; // more than one candidate gateway: ambiguous
      found = edge;
    }
    return found;
  }

  /** The routes that apply to a sender's message from `sourcePath`, or undefined for a plain IoT Hub device. */
  routesFor(deviceId: string, moduleId: string | undefined, sourcePath: string): Readonly<RoutesInForce> | undefined {
    const edgeDeviceId = this.edgeDeviceFor(deviceId, moduleId, sourcePath);
    if (edgeDeviceId === undefined) return undefined;
    return this.devices.get(edgeDeviceId);
  }

  /** An edge device created after the router started shows up on its first client event. */
  loadOnDemand(deviceId: string): string | undefined {
    if (!this.store.identities.get({ deviceId, moduleId: EDGE_HUB })) return undefined;
    this.load(deviceId, false);
    return deviceId;
  }

  private load(deviceId: string, atStart: boolean): void {
    if (this.devices.has(deviceId)) return;
    this.devices.set(deviceId, { edgeDeviceId: deviceId, routes: undefined, storeMaxSizeBytes: undefined });
    // edgeHub clears the clients map on start (Azure/iotedge `EdgeHubConnection.cs`).
    this.reporter.report(deviceId, { schemaVersion: EDGE_HUB_REPORTED_SCHEMA_VERSION, version: { ...EDGE_HUB_VERSION }, ...(atStart ? { clients: null } : {}) });
    this.apply(deviceId);
  }
}
