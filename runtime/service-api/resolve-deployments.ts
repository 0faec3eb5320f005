import { parseCondition, matchesCondition, type QueryExpr } from '../query/index.js';
import { validateManifest, type ValidationIssue } from '../manifest/index.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An automatic or layered edge deployment as IoT Hub stores it (the parts that decide what a device gets). */
export interface EdgeDeployment {
  id: string;
  /** A twin-query condition (`tags.env='prod'`) or `*`. */
  targetCondition: string;
  priority: number;
  /** Creation time (ms since epoch): breaks priority ties, the newer wins. */
  createdAt: number;
  content: { modulesContent: Record<string, Json> };
}

/** What one edge device gets from the deployments that target it. */
export type DeviceDeployment =
  | { kind: 'none'; targeted: string[] }
  | { kind: 'applied'; targeted: string[]; base: string; layers: string[]; modulesContent: Record<string, { 'properties.desired': Json }> }
  | { kind: 'invalid'; targeted: string[]; base: string; layers: string[]; status: number; errors: ValidationIssue[]; modulesContent: Record<string, Json> };

/** True for a base deployment: its `$edgeAgent` carries a whole `properties.desired`; anything else is a layer. */
export const isBaseDeployment = (d: EdgeDeployment): boolean => isObject(d.content.modulesContent.$edgeAgent?.['properties.desired']);

/**
 * IoT Hub's choice of deployments for one edge device (learn.microsoft.com/azure/iot-edge/module-deployment-monitoring,
 * "Target condition", "Priority", "Layered deployment"): of the base deployments whose target
 * condition the device twin meets, the one of highest priority wins (the newer on a tie); the
 * matching layered deployments are merged on top of it in ascending priority, so a higher
 * priority layer wins a conflict; a layer without a base applies nothing. The merged manifest is
 * judged by the same validator as `applyConfigurationContent`: when it is invalid every problem
 * is returned with the merged content (IoT Hub writes it anyway and the device's edgeAgent
 * refuses it, reporting the failure). A deployment whose condition does not parse targets
 * nothing. Pure: the caller reads twins and writes the result.
 */
export function resolveDeviceDeployment(deployments: readonly EdgeDeployment[], deviceTwin: unknown): DeviceDeployment {
  const matching = deployments.filter((d) => targets(d.targetCondition, deviceTwin));
  const targeted = matching.map((d) => d.id);
  const order = (a: EdgeDeployment, b: EdgeDeployment) => a.priority - b.priority || a.createdAt - b.createdAt || a.id.localeCompare(b.id);
  const bases = matching.filter(isBaseDeployment).sort(order);
  const base = bases.at(-1);
  if (!base) return { kind: 'none', targeted };
  const layers = matching.filter((d) => !isBaseDeployment(d)).sort(order);
  let content = structuredClone(base.content.modulesContent);
  for (const layer of layers) content = mergeLayer(content, layer.content.modulesContent);
  const result = validateManifest({ modulesContent: content });
  const ids = layers.map((l) => l.id);
  if (result.status !== 200) return { kind: 'invalid', targeted, base: base.id, layers: ids, status: result.status, errors: result.errors, modulesContent: content };
  return { kind: 'applied', targeted, base: base.id, layers: ids, modulesContent: result.value.modulesContent as Record<string, { 'properties.desired': Json }> };
}

/** Parsed target conditions by text: a fleet is evaluated against the same few conditions again and again. */
const parsedConditions = new Map<string, QueryExpr | undefined | null>();
const MAX_PARSED_CONDITIONS = 1000;

/** True when the twin meets the condition; an empty or unparsable condition targets nothing. */
function targets(condition: string, twin: unknown): boolean {
  let parsed = parsedConditions.get(condition);
  if (parsed === undefined && !parsedConditions.has(condition)) {
    const result = condition.trim() === '' ? undefined : parseCondition(condition);
    parsed = result?.ok ? result.condition : null;
    if (parsedConditions.size >= MAX_PARSED_CONDITIONS) parsedConditions.clear();
    parsedConditions.set(condition, parsed);
  }
  return parsed !== null && matchesCondition(parsed, twin);
}

/**
 * Puts a layer's content into a base's: `properties.desired.<a>.<b>` sets that path of the module
 * twin's desired properties (`$edgeAgent` `properties.desired.modules.x`, `$edgeHub`
 * `properties.desired.routes.r`), and a whole `properties.desired` replaces a module twin's desired section.
 */
export function mergeLayer(base: Record<string, Json>, layer: Record<string, Json>): Record<string, Json> {
  const out = structuredClone(base);
  for (const [moduleId, entry] of Object.entries(layer)) {
    if (!isObject(entry)) continue;
    const target = (out[moduleId] ??= {}) as Json;
    for (const [key, value] of Object.entries(entry)) {
      if (key === 'properties.desired') {
        target['properties.desired'] = structuredClone(value);
        continue;
      }
      if (!key.startsWith('properties.desired.')) continue;
      const path = key.slice('properties.desired.'.length).split('.');
      let node = (isObject(target['properties.desired']) ? target['properties.desired'] : (target['properties.desired'] = {})) as Json;
      for (const segment of path.slice(0, -1)) node = (isObject(node[segment]) ? node[segment] : (node[segment] = {})) as Json;
      node[path.at(-1)!] = structuredClone(value);
    }
  }
  return out;
}
