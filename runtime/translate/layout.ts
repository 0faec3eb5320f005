import { toK8sName, toLabelValue } from '../manifest/index.js';
import { deviceLabels, deviceNamespace, LABEL_MANAGED_BY, LABEL_MODULE, MANAGED_BY, moduleLabels, toSelector } from './labels.js';

/**
 * Where and under which names a device's modules are placed (docs/translate.md "Layouts",
 * docs/azure-stack-edge.md). A layout is a pure mapping value handed to the translation and to
 * the agent, which selects by exactly the labels it defines:
 * - `default`: namespace `edgemu-<device>`, `edgemu.io/*` labels, an `edgehub` ClusterIP Service
 *   (MQTT 8883, HTTPS 443) when the hub is on the pod network;
 * - `azure-stack-edge`: as Azure Stack Edge Pro runs IoT Edge on its Kubernetes cluster
 *   (learn.microsoft.com/azure/databox-online/azure-stack-edge-gpu-kubernetes-workload-management,
 *   "IoT Edge namespace"): one device in namespace `iotedge`, IoT Edge's Kubernetes labels
 *   `net.azure-devices.edge.deviceid`/`.hub`/`.module` (Azure/iotedge branch 1.1-k8s-preview,
 *   kubernetes/doc/edge-deployment-to-k8s-translations.md "Common labels"), an `edgehub` Service of
 *   type LoadBalancer on 443, 5671 and 8883, and the edge agent's ServiceAccount, Role and
 *   RoleBinding (kubernetes/charts/edge-kubernetes/templates/edge-rbac.yaml there).
 */
export type LayoutName = 'default' | 'azure-stack-edge';

/** The layouts `--layout` accepts. */
export const LAYOUT_NAMES: readonly LayoutName[] = ['default', 'azure-stack-edge'];

/** The hub ports the `edgehub` Service can carry (service port → the hub's own port). */
export type EdgeHubPortName = 'https' | 'amqps' | 'mqtts';

export interface Layout {
  readonly name: LayoutName;
  /** The namespace of a device's objects. */
  namespace(deviceId: string): string;
  /** How many devices one cluster may hold in this layout; `one`: a second device gets no agent (docs/azure-stack-edge.md). */
  readonly devicesPerCluster: 'many' | 'one';
  /** Labels of a device-wide object; `hubName` is the IoT Hub host name. */
  deviceLabels(deviceId: string, hubName: string): Record<string, string>;
  /** The labels that select everything of a device (list, watch, ownership). */
  deviceSelectorLabels(deviceId: string): Record<string, string>;
  /** Labels of a module's objects. */
  moduleLabels(deviceId: string, moduleName: string, hubName: string): Record<string, string>;
  /** The labels that select one module's objects; also a Deployment's (immutable) `matchLabels`. */
  moduleSelectorLabels(deviceId: string, moduleName: string): Record<string, string>;
  /** The label whose value is the module's Kubernetes name: the agent groups pods by it. */
  readonly moduleLabelKey: string;
  /** The `edgehub` Service in front of the host's hub (when the hub is on the pod network). */
  readonly edgeHub: { readonly type: 'ClusterIP' | 'LoadBalancer'; readonly ports: readonly EdgeHubPortName[] };
  /** Whether the namespace gets the edge agent's ServiceAccount, Role and RoleBinding. */
  readonly agentRbac: boolean;
  /** Kubernetes names a user module may not map to (objects of the layout itself carry them). */
  readonly reservedModuleNames: readonly string[];
}

/** `app.kubernetes.io/managed-by=edgemu`: kept in every layout so pruning never touches what edgemu did not make. */
const managedBy = { [LABEL_MANAGED_BY]: MANAGED_BY } as const;

/** edgemu's own layout, exactly as before layouts existed (labels.ts). */
export const DEFAULT_LAYOUT: Layout = {
  name: 'default',
  namespace: deviceNamespace,
  devicesPerCluster: 'many',
  deviceLabels: (deviceId) => deviceLabels(deviceId),
  deviceSelectorLabels: (deviceId) => deviceLabels(deviceId),
  moduleLabels: (deviceId, moduleName) => moduleLabels(deviceId, moduleName),
  moduleSelectorLabels: (deviceId, moduleName) => moduleLabels(deviceId, moduleName),
  moduleLabelKey: LABEL_MODULE,
  edgeHub: { type: 'ClusterIP', ports: ['mqtts', 'https'] },
  agentRbac: false,
  reservedModuleNames: [],
};

/** IoT Edge's Kubernetes label keys (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Kubernetes/Constants.cs). */
export const ASE_LABEL_DEVICE = 'net.azure-devices.edge.deviceid';
export const ASE_LABEL_MODULE = 'net.azure-devices.edge.module';
/** The associated IoT Hub (kubernetes/doc/edge-deployment-to-k8s-translations.md "Common labels"). */
export const ASE_LABEL_HUB = 'net.azure-devices.edge.hub';
/** The namespace Azure Stack Edge runs IoT Edge in. */
export const ASE_NAMESPACE = 'iotedge';
/** The edge agent's ServiceAccount, Role and RoleBinding name in the IoT Edge Helm chart. */
export const ASE_AGENT_NAME = 'edgeagent';

/**
 * The IoT Hub's name as a label value: the first label of its host name
 * (`myhub.azure-devices.net` → `myhub`), sanitised as IoT Edge sanitises label values.
 */
export const hubLabelValue = (hubHostName: string): string => toLabelValue(hubHostName.replace(/:\d+$/, '').split('.')[0] || hubHostName);

const aseDeviceSelector = (deviceId: string): Record<string, string> => ({ ...managedBy, [ASE_LABEL_DEVICE]: toLabelValue(deviceId) });
const aseModuleSelector = (deviceId: string, moduleName: string): Record<string, string> => ({ ...aseDeviceSelector(deviceId), [ASE_LABEL_MODULE]: toK8sName(moduleName) });

/**
 * Azure Stack Edge's IoT Edge layout. The hub label is on every object but in no selector, so a
 * Deployment's immutable `matchLabels` survive a change of the hub host name. Module label values
 * and object names are `toK8sName(module)` — the lower-case module name for names of letters,
 * digits and `-` (IoT Edge: `KubeUtils.SanitizeK8sValue`); docs/azure-stack-edge.md lists where
 * they differ.
 */
export const AZURE_STACK_EDGE_LAYOUT: Layout = {
  name: 'azure-stack-edge',
  namespace: () => ASE_NAMESPACE,
  devicesPerCluster: 'one',
  deviceLabels: (deviceId, hubName) => ({ ...aseDeviceSelector(deviceId), [ASE_LABEL_HUB]: hubLabelValue(hubName) }),
  deviceSelectorLabels: aseDeviceSelector,
  moduleLabels: (deviceId, moduleName, hubName) => ({ ...aseModuleSelector(deviceId, moduleName), [ASE_LABEL_HUB]: hubLabelValue(hubName) }),
  moduleSelectorLabels: aseModuleSelector,
  moduleLabelKey: ASE_LABEL_MODULE,
  edgeHub: { type: 'LoadBalancer', ports: ['https', 'amqps', 'mqtts'] },
  agentRbac: true,
  // The agent's ServiceAccount, the edgehub Service, and Azure Stack Edge's iotedged Service name.
  reservedModuleNames: [ASE_AGENT_NAME, 'edgehub', 'iotedged'],
};

/** The layout of a `--layout` value; undefined for an unknown name. */
export function layoutByName(name: string): Layout | undefined {
  return name === 'default' ? DEFAULT_LAYOUT : name === 'azure-stack-edge' ? AZURE_STACK_EDGE_LAYOUT : undefined;
}

/** Selector of everything of a device in a layout. */
export const layoutDeviceSelector = (layout: Layout, deviceId: string): string => toSelector(layout.deviceSelectorLabels(deviceId));
/** Selector of one module's objects in a layout. */
export const layoutModuleSelector = (layout: Layout, deviceId: string, moduleName: string): string => toSelector(layout.moduleSelectorLabels(deviceId, moduleName));

/**
 * Which edge devices get an agent in a layout (pure): every one where a cluster holds many; where
 * it holds one, the device that already has an agent, else the preferred one (`edgemu up --device`)
 * when it is an edge device, else the first by id. The others are refused with the reason.
 */
export function devicesForLayout(
  layout: Layout,
  edgeDevices: readonly string[],
  running: readonly string[],
  preferred?: string,
): { run: string[]; refused: { deviceId: string; reason: string }[] } {
  const sorted = [...new Set(edgeDevices)].sort();
  if (layout.devicesPerCluster === 'many' || sorted.length <= 1) return { run: sorted, refused: [] };
  const owner = sorted.find((d) => running.includes(d)) ?? (preferred !== undefined && sorted.includes(preferred) ? preferred : sorted[0]!);
  const namespace = layout.namespace(owner);
  return {
    run: [owner],
    refused: sorted
      .filter((d) => d !== owner)
      .map((deviceId) => ({
        deviceId,
        reason: `layout ${layout.name} places one IoT Edge device per cluster, in namespace ${namespace} (as an Azure Stack Edge device runs one); device ${deviceId} gets no agent because ${owner} owns ${namespace} — delete ${owner} or run edgemu without --layout ${layout.name}`,
      })),
  };
}
