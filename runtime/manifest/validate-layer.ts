import type { ValidationResult } from './model.js';
import { IssueCollector } from './issue-collector.js';
import { escapePointerSegment, pointer } from './json-pointer.js';
import { checkEdgeAgentDesired } from './validate-edge-agent-desired.js';
import { checkEdgeHubDesired } from './validate-edge-hub-desired.js';
import { desiredSectionIssues } from './twin-section-issues.js';
import { isLayeredContent, locateModulesContent } from './validate-manifest.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a valid layer adds on top of its base deployment. */
export interface LayerContent {
  /** `properties.desired.modules.<name>` of `$edgeAgent`. */
  modules: string[];
  /** `properties.desired.routes.<name>` of `$edgeHub`. */
  routes: string[];
  /** Module twins the layer writes desired properties of. */
  moduleTwins: string[];
}

const MODULE_KEY = /^properties\.desired\.modules\.([a-zA-Z0-9_-]{1,128})$/;
const ROUTE_KEY = /^properties\.desired\.routes\.([^.$# ]+)$/;
const DESIRED = 'properties.desired';
const LAYER_DOC = 'learn.microsoft.com/azure/iot-edge/module-deployment-monitoring#layered-deployment';

/** Stand-ins for what a layer takes from its base deployment, so its modules and routes get the base's rules. */
const BASE_AGENT = {
  schemaVersion: '1.1',
  runtime: { type: 'docker', settings: {} },
  systemModules: { edgeAgent: { type: 'docker', settings: { image: 'edgeagent' } }, edgeHub: { type: 'docker', status: 'running', settings: { image: 'edgehub' } } },
};

/**
 * Judges layered-deployment content on its own (IoT Edge docs, "Layered deployment"): a layer
 * adds user modules (`$edgeAgent` `properties.desired.modules.<name>`), routes (`$edgeHub`
 * `properties.desired.routes.<name>`) and module twin desired properties; the runtime and the
 * system modules come from the base deployment, so a layer setting them is refused. Each module
 * and route is checked by the same rules as in a whole deployment (schema 1.1: the layer's
 * schemaVersion is its base's). Paths point into the submitted document. Never throws.
 */
export function validateLayer(doc: unknown): ValidationResult<LayerContent> {
  const issues = new IssueCollector();
  if (!isObject(doc)) {
    issues.add(400, '', 'layered-deployment content must be a JSON object with a "modulesContent" property');
    return issues.result<LayerContent>(() => undefined as never);
  }
  const located = locateModulesContent(doc, issues);
  if (located === undefined) return issues.result<LayerContent>(() => undefined as never);
  const { content, contentPath } = located;
  const layer: LayerContent = { modules: [], routes: [], moduleTwins: [] };
  if (!isLayeredContent(content)) issues.warn('no "properties.desired.…" keys: this is a whole deployment, not a layer');

  for (const [twin, entry] of Object.entries(content)) {
    const twinPath = pointer(contentPath, twin);
    if (!isObject(entry)) {
      issues.add(400, twinPath, `"${twin}" must be an object of "${DESIRED}…" keys`);
      continue;
    }
    for (const [key, value] of Object.entries(entry)) {
      const at = pointer(twinPath, key);
      if (key !== DESIRED && !key.startsWith(`${DESIRED}.`)) {
        issues.add(400, at, `unknown property "${key}": a layer sets "${DESIRED}" or "${DESIRED}.<path>" of ${twin}`);
        continue;
      }
      if (twin === '$edgeAgent') {
        const name = MODULE_KEY.exec(key)?.[1];
        if (name === undefined || name === 'edgeAgent' || name === 'edgeHub') {
          issues.add(400, at, `a layer may only add modules ("${DESIRED}.modules.<name>") to $edgeAgent; the runtime, system modules and schemaVersion come from the base deployment (${LAYER_DOC})`);
          continue;
        }
        layer.modules.push(name);
        judgeAs(issues, at, `/modules/${escapePointerSegment(name)}`, (inner, base) => checkEdgeAgentDesired({ ...BASE_AGENT, modules: { [name]: value } }, base, inner));
      } else if (twin === '$edgeHub') {
        const name = ROUTE_KEY.exec(key)?.[1];
        if (name === undefined) {
          issues.add(400, at, `a layer may only add routes ("${DESIRED}.routes.<name>") to $edgeHub; its other settings come from the base deployment (${LAYER_DOC})`);
          continue;
        }
        layer.routes.push(name);
        judgeAs(issues, at, `/routes/${escapePointerSegment(name)}`, (inner, base) => checkEdgeHubDesired({ schemaVersion: '1.1', routes: { [name]: value } }, base, inner));
      } else {
        if (!layer.moduleTwins.includes(twin)) layer.moduleTwins.push(twin);
        // properties.desired.a.b = v is the twin {a: {b: v}} (IoT Hub twin paths)
        const path = key === DESIRED ? [] : key.slice(DESIRED.length + 1).split('.');
        const section = path.reduceRight<unknown>((inner, segment) => ({ [segment]: inner }), value);
        if (!isObject(section)) issues.add(400, at, `the desired properties of ${twin} must be a JSON object`);
        else {
          const prefix = pointer(at, ...path);
          for (const p of desiredSectionIssues(section, at, twin)) issues.add(400, p.path.startsWith(prefix) ? at + p.path.slice(prefix.length) : at, p.message);
        }
      }
    }
  }
  return issues.result(() => layer);
}

/**
 * Runs a whole-section check on a stand-in section holding one layer item, and moves what it
 * finds about that item (pointer `/…item`) onto the layer key's pointer `at`.
 */
function judgeAs(issues: IssueCollector, at: string, item: string, check: (inner: IssueCollector, base: string) => unknown): void {
  const inner = new IssueCollector();
  const base = '#layer';
  check(inner, base);
  const result = inner.result(() => undefined);
  const from = base + item;
  const move = (text: string) => text.split(from).join(at);
  for (const w of result.warnings) issues.warn(move(w));
  for (const e of result.errors) issues.add(400, e.path.startsWith(from) ? at + e.path.slice(from.length) : at, move(e.message));
}
