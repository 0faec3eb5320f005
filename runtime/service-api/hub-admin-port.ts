import type { HubAddress, Identity, IdentityRef } from '../hub/index.js';

/**
 * What the CLI's administration commands (`identity`, `connection-string`, `status`, `module
 * run|env`, `translate`) need of a
 * state dir's hub, whether or not a hub runs there (docs/architecture.md "A new CLI command"):
 * online through the service API (the hub owns its store), offline through `offline-admin.ts`.
 */
export interface HubAdmin {
  readonly online: boolean;
  /** Creates `deviceId` (unless `moduleId` is given and the device exists) and `moduleId`; returns what was created, system modules of an edge device included. */
  createIdentities(deviceId: string, options: { edge?: boolean; moduleId?: string | undefined }): Promise<Identity[]>;
  /** Every identity, or those of one device (the device first, then its modules). */
  listIdentities(deviceId?: string): Promise<Identity[]>;
  deleteIdentity(ref: IdentityRef): Promise<void>;
  /** One identity, undefined when it does not exist. */
  getIdentity(ref: IdentityRef): Promise<Identity | undefined>;
  /** The module identity, created when missing (as IoT Edge's agent creates manifest modules' identities); `created` says which. */
  ensureModule(deviceId: string, moduleId: string): Promise<{ identity: Identity; created: boolean }>;
  /** The `$edgeAgent` desired properties of `deviceId` (without `$metadata`), undefined when there is no such twin. */
  edgeAgentDesired(deviceId: string): Promise<Record<string, unknown> | undefined>;
  address(): Promise<HubAddress>;
  /** The primary-key connection string of a device or module (HUB_DEVICE_NOT_FOUND / HUB_MODULE_NOT_FOUND when it does not exist). */
  deviceConnectionString(ref: IdentityRef, address: HubAddress): Promise<string>;
  serviceConnectionString(address: HubAddress): Promise<string>;
  /** `$edgeAgent`'s reported properties (without `$metadata`/`$version`) and the desired version it answers; AGENT_* errors for a missing or non-edge device. */
  edgeAgentReport(deviceId: string): Promise<{ reported: Record<string, unknown>; desiredVersion: number | undefined }>;
  /** One page of a twin query (docs/query.md); 400-style errors name the syntax error and its position. */
  query(text: string, page: { maxItemCount?: number; continuation?: string | undefined }): Promise<{ items: unknown[]; itemType: string; continuation?: string }>;
  close(): void;
}
