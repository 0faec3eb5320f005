import type { Clock } from '../clock.js';
import type { Logger } from '../log/create-logger.js';
import { clientIdOf, type HubStore, type IdentityRef } from '../hub/index.js';
import { encodeClientKey, type ClientStatus } from './edge-hub-reported.js';

const EDGE_HUB = '$edgeHub';

/**
 * Writes the `$edgeHub` reported properties of each edge device: what the configuration
 * reports (`schemaVersion`, `lastDesiredVersion`, `lastDesiredStatus`) and the `clients` map
 * of connected modules and leaf devices (Azure/iotedge `EdgeHubConnection.cs`). Patches of one
 * event-loop turn are merged into one write per device.
 */
export class EdgeHubReporter {
  private readonly clients = new Map<string, Map<string, ClientStatus & { isModule: boolean }>>();
  private readonly pending = new Map<string, Record<string, unknown>>();
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly store: HubStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Merges a patch into the pending report of a device; written on the next turn (coalesced). */
  report(deviceId: string, patch: Record<string, unknown>): void {
    // `clients: null` (clear) followed by entries cannot be one merge patch: write the clear first.
    if (this.pending.get(deviceId)?.clients === null && typeof patch.clients === 'object' && patch.clients !== null) this.flush();
    const pending = this.pending.get(deviceId) ?? {};
    for (const [k, v] of Object.entries(patch)) {
      const prev = pending[k];
      pending[k] =
        k === 'clients' && v !== null && typeof prev === 'object' && prev !== null ? { ...(prev as Record<string, unknown>), ...(v as Record<string, unknown>) } : v;
    }
    this.pending.set(deviceId, pending);
    if (!this.scheduled && !this.closed) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * A client of edge device `edge` connected or disconnected: its entry in `clients`. A leaf
   * device's disconnect removes its entry; a module keeps it with its last times.
   */
  clientStatus(edge: string, ref: IdentityRef, status: 'Connected' | 'Disconnected'): void {
    let clients = this.clients.get(edge);
    if (!clients) this.clients.set(edge, (clients = new Map()));
    const key = encodeClientKey(clientIdOf(ref));
    const now = new Date(this.clock.now()).toISOString();
    const previous = clients.get(key);
    const isModule = Boolean(ref.moduleId);
    if (status === 'Disconnected' && !isModule) {
      clients.delete(key);
      this.report(edge, { clients: { [key]: null } });
      return;
    }
    const entry: ClientStatus & { isModule: boolean } = {
      isModule,
      status,
      ...(previous?.lastConnectedTimeUtc ? { lastConnectedTimeUtc: previous.lastConnectedTimeUtc } : {}),
      ...(previous?.lastDisconnectedTimeUtc ? { lastDisconnectedTimeUtc: previous.lastDisconnectedTimeUtc } : {}),
      ...(status === 'Connected' ? { lastConnectedTimeUtc: now } : { lastDisconnectedTimeUtc: now }),
    };
    clients.set(key, entry);
    const { isModule: _ignored, ...reported } = entry;
    this.report(edge, { clients: { [key]: reported } });
  }

  /** Writes what is pending; later reports are dropped. */
  close(): void {
    this.closed = true;
    this.flush();
  }

  private flush(): void {
    this.scheduled = false;
    const reports = [...this.pending];
    this.pending.clear();
    for (const [deviceId, patch] of reports) {
      try {
        this.store.twins.patchReported({ deviceId, moduleId: EDGE_HUB }, patch);
      } catch (error) {
        this.logger.warn({ err: error, deviceId }, 'cannot write $edgeHub reported properties');
      }
    }
  }
}
