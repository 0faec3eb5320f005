import { createHash } from 'node:crypto';
import type { DeviceConfigurationState, HubStore, StoredConfiguration } from '../hub/index.js';
import type { Logger } from '../log/create-logger.js';
import { resolveDeviceDeployment, type EdgeDeployment, type DeviceDeployment } from './resolve-deployments.js';
import { describeIssues, writeModulesContent } from './apply-configuration.js';
import { queryDocument } from './twin-query-source.js';

/** The automatic deployments of a running hub. */
export interface AutomaticDeployments {
  /** Re-evaluates every edge device now (also done on start and on every configuration change). */
  evaluateAll(): void;
  /** Re-evaluates one device now (also done when its tags or twin change, or it is created). */
  evaluateDevice(deviceId: string): void;
  close(): void;
}

/** A stored configuration as the per-device rule reads it. */
export function edgeDeploymentOf(stored: StoredConfiguration): EdgeDeployment {
  const doc = stored.doc as { targetCondition?: string; priority?: number; content?: EdgeDeployment['content'] };
  return {
    id: stored.id,
    targetCondition: doc.targetCondition ?? '',
    priority: doc.priority ?? 0,
    createdAt: Date.parse(stored.createdTimeUtc),
    content: doc.content ?? { modulesContent: {} },
  };
}

/**
 * The state a device's resolution leaves: every targeting configuration with its status
 * (`Applied` for the winning base and the layers merged on it, `Targeted` for the others), the
 * digest of what is written, and the problem when the merged content is invalid — which is
 * written all the same, as IoT Hub does: the device's edgeAgent refuses it and reports the
 * failure, so `reportedFailedCount` counts it. A device no deployment targets any more keeps its
 * last content and digest, as IoT Hub does.
 */
export function nextDeviceState(previous: DeviceConfigurationState | undefined, resolved: DeviceDeployment): DeviceConfigurationState {
  const statuses: DeviceConfigurationState['statuses'] = Object.fromEntries(resolved.targeted.map((id) => [id, 'Targeted' as const]));
  if (resolved.kind === 'none') return { statuses, ...(previous?.appliedDigest !== undefined ? { appliedDigest: previous.appliedDigest } : {}) };
  for (const id of [resolved.base, ...resolved.layers]) statuses[id] = 'Applied';
  const state: DeviceConfigurationState = { statuses, appliedDigest: contentDigest(resolved.modulesContent) };
  if (resolved.kind === 'invalid') state.error = { status: resolved.status, message: describeIssues(resolved.errors), base: resolved.base, layers: resolved.layers };
  return state;
}

/** The state after the twins refused a resolved deployment: everything `Targeted`, the last digest kept, the refusal as the problem. */
export function failedWrite(previous: DeviceConfigurationState | undefined, resolved: DeviceDeployment & { kind: 'applied' | 'invalid' }, error: unknown): DeviceConfigurationState {
  const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
  return {
    statuses: Object.fromEntries(resolved.targeted.map((id) => [id, 'Targeted' as const])),
    ...(previous?.appliedDigest !== undefined ? { appliedDigest: previous.appliedDigest } : {}),
    error: { status, message: error instanceof Error ? error.message : String(error), base: resolved.base, layers: resolved.layers },
  };
}

/** A stable digest of module content (what decides whether a new resolution must be written). */
export function contentDigest(modulesContent: unknown): string {
  return createHash('sha256').update(JSON.stringify(modulesContent)).digest('base64');
}

/**
 * IoT Hub's automatic and layered deployments over the hub store
 * (learn.microsoft.com/azure/iot-edge/module-deployment-monitoring), level-triggered: on start,
 * on every configuration write or deletion, when an edge device is created and when a device
 * twin's tags, desired or reported properties change, the affected devices are resolved again
 * (`resolveDeviceDeployment`) and, when the merged content differs from what the deployments
 * last wrote there, it is written through `writeModulesContent` — the path of
 * `applyConfigurationContent` — so `$edgeAgent`, `$edgeHub` and module twins get their desired
 * sections and the connected agent the patch. A direct `applyConfigurationContent` stays in
 * force until the deployments' result changes. Listener work is synchronous: when the write
 * that triggered it returns, the device has its new desired content.
 */
export function startAutomaticDeployments(options: { store: HubStore; logger: Logger }): AutomaticDeployments {
  const { store, logger } = options;
  // Configurations are written only through this hub's service API, so the parsed list is kept
  // until the next configuration change: a twin change costs no configuration read.
  let cached: EdgeDeployment[] | undefined;
  const deployments = (): EdgeDeployment[] => (cached ??= store.configurations.list().map(edgeDeploymentOf));

  const evaluate = (deviceId: string, all: readonly EdgeDeployment[]): void => {
    const identity = store.identities.get({ deviceId });
    if (!identity || !identity.isEdge) return;
    const twin = store.twins.get({ deviceId });
    if (!twin) return;
    const previous = store.configurations.deviceState(deviceId);
    if (!previous && all.length === 0) return;
    const resolved = resolveDeviceDeployment(all, queryDocument(twin, identity));
    let next = nextDeviceState(previous, resolved);
    if (resolved.kind !== 'none' && next.appliedDigest !== previous?.appliedDigest) {
      try {
        const modules = writeModulesContent(store, deviceId, resolved.modulesContent as Record<string, { 'properties.desired': unknown }>);
        logger.info({ deviceId, base: resolved.base, layers: resolved.layers, modules }, 'automatic deployment applied');
      } catch (error) {
        // A twin rule the merged content breaks (a desired section over 32 KB): nothing of it was
        // written (one transaction); the device is only targeted, the problem kept, the fleet goes on.
        next = failedWrite(previous, resolved, error);
        // Retried at the device's next change (level-triggered); said once per distinct problem.
        if (previous?.error?.message !== next.error?.message) logger.warn({ deviceId, base: resolved.base, layers: resolved.layers, err: error }, 'automatic deployment could not be written; nothing applied');
      }
    }
    if (resolved.kind === 'invalid' && previous?.error?.message !== next.error?.message) {
      logger.warn({ deviceId, base: resolved.base, layers: resolved.layers, status: resolved.status, problems: next.error?.message }, "merged deployment is invalid; written for the device's edgeAgent to refuse and report");
    }
    if (JSON.stringify(next) !== JSON.stringify(previous)) store.configurations.setDeviceState(deviceId, next);
  };

  const evaluateAll = () => {
    const all = deployments();
    for (const identity of store.identities.list('devices')) if (identity.isEdge) evaluate(identity.deviceId, all);
  };
  const evaluateDevice = (deviceId: string) => evaluate(deviceId, deployments());
  const onDeviceTwin = (ref: { deviceId: string; moduleId?: string | undefined }) => {
    if (ref.moduleId === undefined) evaluateDevice(ref.deviceId);
  };

  const offs = [
    store.configurations.onChanged(() => {
      cached = undefined;
      evaluateAll();
    }),
    store.twins.onTagsChanged(onDeviceTwin),
    store.twins.onDesiredChanged((c) => onDeviceTwin(c.ref)),
    store.twins.onReportedChanged((c) => onDeviceTwin(c.ref)),
    store.identities.creations.add(onDeviceTwin),
  ];
  evaluateAll();
  return {
    evaluateAll,
    evaluateDevice,
    close: () => {
      for (const off of offs.splice(0)) off();
    },
  };
}
