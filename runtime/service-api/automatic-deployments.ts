import { createHash } from 'node:crypto';
import type { DeviceConfigurationState, HubStore, StoredConfiguration } from '../hub/index.js';
import type { Logger } from '../log/create-logger.js';
import { systemClock, type Clock } from '../clock.js';
import { resolveDeviceDeployment, type EdgeDeployment, type DeviceDeployment } from './resolve-deployments.js';
import { describeIssues, writeModulesContent } from './apply-configuration.js';
import { queryDocument } from './twin-query-source.js';

/** The automatic deployments of a running hub. */
export interface AutomaticDeployments {
  /** Marks every edge device for evaluation (also done on start and on every configuration change). */
  evaluateAll(): void;
  /** Marks one device for evaluation (also done when its tags or twin change, or it is created). */
  evaluateDevice(deviceId: string): void;
  /**
   * Resolves once every change marked so far has been evaluated and written: nothing pending,
   * no pass running. For tests and tools that must see the converged result.
   */
  settled(): Promise<void>;
  /** About how many devices are marked or left in the running pass, not evaluated yet (`evaluateAll` counts as every edge device). */
  readonly pending: number;
  /** Passes run and devices evaluated since start (the first, synchronous pass included). */
  readonly stats: { readonly passes: number; readonly evaluations: number };
  close(): void;
}

/** How the evaluation is scheduled (docs/deployments.md "When devices get their deployment"). */
export interface EvaluationTiming {
  /** Quiet time after the last change before a pass starts (changes in a burst share one pass). */
  debounceMs: number;
  /** A pass starts at the latest this long after the first change it covers, however busy the hub. */
  maxWaitMs: number;
  /** A pass evaluates devices for this long, then lets the hub's requests run, then goes on. */
  sliceMs: number;
}

export const DEFAULT_EVALUATION_TIMING: EvaluationTiming = { debounceMs: 25, maxWaitMs: 500, sliceMs: 20 };

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
 * twin's tags, desired or reported properties change, the affected devices are marked; a pass
 * resolves each marked device again from the store as it is then (`resolveDeviceDeployment`)
 * and, when the merged content differs from what the deployments last wrote there, writes it
 * through `writeModulesContent` — the path of `applyConfigurationContent` — so `$edgeAgent`,
 * `$edgeHub` and module twins get their desired sections and the connected agent the patch. A
 * direct `applyConfigurationContent` stays in force until the deployments' result changes.
 *
 * Passes are debounced and run outside the request that caused them (`EvaluationTiming`): a
 * `PUT /configurations/{id}` answers at once and the fleet converges after it, in time slices
 * that leave the event loop to the hub between them. Marks made during a pass are taken by the
 * next one; a configuration change during a pass restarts it over every device. IoT Hub too
 * applies a configuration some time after it is written.
 */
export function startAutomaticDeployments(options: { store: HubStore; logger: Logger; clock?: Clock; timing?: Partial<EvaluationTiming> }): AutomaticDeployments {
  const { store, logger } = options;
  const clock = options.clock ?? systemClock;
  const timing = { ...DEFAULT_EVALUATION_TIMING, ...options.timing };
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

  // What is marked: every edge device, and/or single devices.
  let allMarked = false;
  const marked = new Set<string>();
  let firstMarkAt: number | undefined;
  let timer: AbortController | undefined;
  let running = false;
  let closed = false;
  let waiters: Array<() => void> = [];
  const idle = () => !allMarked && marked.size === 0 && !running && timer === undefined;
  const wakeWaiters = () => {
    if (!idle() && !closed) return;
    const ready = waiters;
    waiters = [];
    for (const w of ready) w();
  };

  /** (Re)starts the quiet-time timer: debounced, but never later than maxWaitMs after the first mark. */
  const schedule = () => {
    if (closed || running) return;
    const now = clock.now();
    firstMarkAt ??= now;
    const delay = Math.max(0, Math.min(timing.debounceMs, firstMarkAt + timing.maxWaitMs - now));
    timer?.abort();
    const controller = new AbortController();
    timer = controller;
    clock.sleep(delay, controller.signal).then(
      () => {
        if (timer !== controller) return;
        timer = undefined;
        void pass();
      },
      () => undefined,
    );
  };

  const edgeDeviceIds = (): string[] => store.identities.list('devices').filter((i) => i.isEdge).map((i) => i.deviceId);
  const yieldToHub = () => new Promise<void>((resolve) => setImmediate(resolve));

  const stats = { passes: 0, evaluations: 0 };
  let roundLeft = 0;
  const pass = async (): Promise<void> => {
    running = true;
    stats.passes += 1;
    firstMarkAt = undefined;
    try {
      while (!closed && (allMarked || marked.size > 0)) {
        const ids = allMarked ? edgeDeviceIds() : [...marked];
        allMarked = false;
        roundLeft = ids.length;
        let sliceStart = clock.now();
        for (const deviceId of ids) {
          if (closed || allMarked) break; // a configuration changed: start over with every device
          // Evaluated from the store as it is now, which satisfies every earlier mark of it.
          marked.delete(deviceId);
          roundLeft -= 1;
          try {
            stats.evaluations += 1;
            evaluate(deviceId, deployments());
          } catch (error) {
            if (closed) break;
            logger.warn({ deviceId, err: error }, 'automatic deployment evaluation failed; retried at the next change');
          }
          if (clock.now() - sliceStart >= timing.sliceMs) {
            await yieldToHub();
            sliceStart = clock.now();
          }
        }
      }
    } finally {
      running = false;
      roundLeft = 0;
      if (allMarked || marked.size > 0) schedule();
      wakeWaiters();
    }
  };

  const evaluateAll = () => {
    allMarked = true;
    marked.clear();
    schedule();
  };
  const evaluateDevice = (deviceId: string) => {
    if (!allMarked) marked.add(deviceId);
    schedule();
  };
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
  // The first pass runs now, before the hub listens, so an agent connecting first reads its deployment's content.
  const all = deployments();
  stats.passes += 1;
  for (const deviceId of edgeDeviceIds()) {
    stats.evaluations += 1;
    evaluate(deviceId, all);
  }
  return {
    evaluateAll,
    evaluateDevice,
    settled: () => (idle() || closed ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    get pending() {
      return allMarked ? edgeDeviceIds().length : marked.size + roundLeft;
    },
    stats,
    close: () => {
      closed = true;
      timer?.abort();
      timer = undefined;
      for (const off of offs.splice(0)) off();
      wakeWaiters();
    },
  };
}
