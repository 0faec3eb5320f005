/**
 * The translate area's public API: the pure mapping from a validated IoT Edge deployment to
 * Kubernetes objects, the label/annotation contract the agent selects by, and the module
 * environment that `edgemu module run/env` reuses.
 */
export * from './labels.js';
export * from './module-environment.js';
export * from './translate-error.js';
export * from './translate-deployment.js';
export { registrySecretName, normalizeRegistryAddress } from './registry-secrets.js';
export { mapCreateOptions, isQualifiedKey, distinctK8sName, HUB_CA_FILE, HUB_CA_MOUNT_PATH, HUB_CA_VOLUME, NODE_PORT_RANGE, type MappedCreateOptions } from './map-create-options.js';
export { renderObjects, type RenderFormat } from './render-objects.js';
export { canonicalJson, specHash } from './spec-hash.js';
export { checkTranslateInputs, type TranslateInputs } from './translate-inputs.js';
export { effectivePlacement, placementPodFields, LABEL_NODE_POOL, LABEL_SIMULATE, type ModulePlacement } from './placement.js';
export { edgeHubObjects, EDGEHUB_SERVICE, EDGEHUB_PORTS, type HubEndpoint } from './edgehub-service.js';
export { translateContextFromState, type ContextFromState, type ContextFromStateOptions, type HubLookup } from './context-from-state.js';
export {
  AZURE_STACK_EDGE_LAYOUT,
  DEFAULT_LAYOUT,
  LAYOUT_NAMES,
  ASE_AGENT_NAME,
  ASE_LABEL_DEVICE,
  ASE_LABEL_HUB,
  ASE_LABEL_MODULE,
  ASE_NAMESPACE,
  devicesForLayout,
  hubLabelValue,
  layoutByName,
  layoutDeviceSelector,
  layoutModuleSelector,
  type EdgeHubPortName,
  type Layout,
  type LayoutName,
} from './layout.js';
export { agentRbacObjects, AGENT_RBAC_RULES } from './agent-rbac.js';
