import { toK8sName, toLabelValue } from '../manifest/index.js';

/**
 * The label and annotation keys on every object edgemu creates, and the helpers that build
 * them. Ownership and pruning work by label selector (K8s API: `labelSelector` on list/watch),
 * so the agent must select with exactly these keys: {@link deviceSelector} for everything of a
 * device, {@link moduleSelector} for one module's workload objects.
 */

/** Field manager for server-side apply of every object produced here. */
export const FIELD_MANAGER = 'edgemu';

/** Kubernetes' recommended label naming the managing tool; value {@link MANAGED_BY}. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'edgemu';
/** The edge device the object belongs to: `toLabelValue(deviceId)`. On every object. */
export const LABEL_DEVICE = 'edgemu.io/device';
/**
 * The module the object belongs to: `toK8sName(moduleName)`. On the module's Deployment, pod
 * template, Service, ServiceAccount and identity Secret; absent on device-wide objects
 * (Namespace, hub CA ConfigMap, registry Secrets, PVCs — named volumes outlive and are shared
 * by modules, as Docker volumes are).
 */
export const LABEL_MODULE = 'edgemu.io/module';

/** The edge device id exactly as written (label values cannot hold every IoT Hub id). */
export const ANNOTATION_DEVICE_ID = 'edgemu.io/device-id';
/** The module name exactly as written in the manifest (IoT Edge: `net.azure-devices.edge.original-moduleid`). */
export const ANNOTATION_MODULE_NAME = 'edgemu.io/module-name';
/** `modules.<name>.version` from the manifest. */
export const ANNOTATION_MODULE_VERSION = 'edgemu.io/module-version';
/**
 * Hash of everything the module's objects contain except the replica count: equal hashes mean
 * "only the desired status changed" (start/stop, no recreate — IoT Edge `ModuleSet.Diff`).
 */
export const ANNOTATION_SPEC_HASH = 'edgemu.io/spec-hash';
/** The module's IoT Edge restartPolicy (a Deployment's pods always restart; the agent applies the policy). */
export const ANNOTATION_RESTART_POLICY = 'edgemu.io/restart-policy';
/** The module's startupOrder, for planning in groups. */
export const ANNOTATION_STARTUP_ORDER = 'edgemu.io/startup-order';
/** Present (`"true"`) on an object whose content is a placeholder the user must replace. */
export const ANNOTATION_PLACEHOLDER = 'edgemu.io/placeholder';
/** On PVCs: the Docker volume name as written. */
export const ANNOTATION_VOLUME_NAME = 'edgemu.io/volume-name';
/** On registry Secrets: the `registryCredentials` key as written. */
export const ANNOTATION_REGISTRY_CREDENTIAL = 'edgemu.io/registry-credential';
/**
 * On a module's Deployment and pod template when the node runs edgemu's stand-in under the
 * module's image reference (docs/images.md): what it stands in for, so `kubectl describe` and
 * `edgemu status` say the module is not the real image.
 */
export const ANNOTATION_STAND_IN = 'edgemu.io/stand-in';

/** Keys users may not set through createOptions `Labels` (they would break ownership). */
export const isReservedKey = (key: string): boolean => key === LABEL_MANAGED_BY || key.startsWith('edgemu.io/');

/** Labels of a device-wide object. */
export const deviceLabels = (deviceId: string): Record<string, string> => ({
  [LABEL_MANAGED_BY]: MANAGED_BY,
  [LABEL_DEVICE]: toLabelValue(deviceId),
});

/** Labels of a module's objects; also the Deployment's `matchLabels` (immutable, so never add keys here lightly). */
export const moduleLabels = (deviceId: string, moduleName: string): Record<string, string> => ({
  ...deviceLabels(deviceId),
  [LABEL_MODULE]: toK8sName(moduleName),
});

/** Label selector string for everything edgemu made for a device. */
export const deviceSelector = (deviceId: string): string => toSelector(deviceLabels(deviceId));

/** Label selector string for one module's objects. */
export const moduleSelector = (deviceId: string, moduleName: string): string => toSelector(moduleLabels(deviceId, moduleName));

/** A label selector string (`k=v,k=v`) for labels. */
export const toSelector = (labels: Readonly<Record<string, string>>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/**
 * The namespace of a device: `edgemu-<device>` as an RFC 1035 label. The prefix keeps a device
 * named `default` or `kube-system` out of namespaces it does not own.
 */
export const deviceNamespace = (deviceId: string): string => toK8sName(`edgemu-${deviceId}`);
