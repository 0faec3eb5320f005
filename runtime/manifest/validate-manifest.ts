import type { Deployment, EdgeAgentConfig, EdgeHubConfig, ValidationResult } from './model.js';
import { IssueCollector } from './issue-collector.js';
import { pointer } from './json-pointer.js';
import { checkEdgeAgentDesired, RESERVED_NAME_MESSAGE } from './validate-edge-agent-desired.js';
import { checkEdgeHubDesired } from './validate-edge-hub-desired.js';
import { desiredSectionIssues } from './twin-section-issues.js';
import { setOwn } from './set-own.js';
import type { ParsedRoute } from '../route-language/index.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const DESIRED = 'properties.desired';
/** modulesContent keys other than `$edgeAgent`/`$edgeHub` (json.schemastore.org/azure-iot-edge-deployment-1.0.json). */
const MODULE_TWIN_KEY = /^[a-zA-Z0-9_-]+$/;
/** The module a route reads from (`/messages/modules/<id>/…`). */
const MODULE_SOURCE = /^\/messages\/modules\/([^/*]+)/i;
/** IoT Hub's limit for at-scale deployments; larger single-device manifests are unusual. */
const MAX_MODULES_HINT = 50;

/**
 * Validates a whole deployment manifest as submitted (a parsed JSON value) and returns the
 * normalized `Deployment`. Accepts `{modulesContent}`, the `{content: {modulesContent}}`
 * wrapper and legacy `moduleContent` (with a warning), as `az iot edge set-modules` does
 * (`hub.py _process_config_content`). Every issue's path points into the submitted document.
 * Status precedence 417 > 412 > 400. Never throws.
 */
export function validateManifest(doc: unknown): ValidationResult<Deployment> {
  const issues = new IssueCollector();
  if (!isObject(doc)) {
    issues.add(400, '', `a deployment manifest must be a JSON object with a "modulesContent" property, got ${describe(doc)}`);
    return issues.result<Deployment>(() => undefined as never);
  }
  const located = locateModulesContent(doc, issues);
  if (located === undefined) return issues.result<Deployment>(() => undefined as never);
  const { content, contentPath } = located;
  if (isLayeredContent(content)) {
    issues.add(400, contentPath, 'this is layered-deployment content ("properties.desired.…" keys): it applies on top of a base deployment (learn.microsoft.com/azure/iot-edge/module-deployment-monitoring#layered-deployment); `edgemu validate`/`check` judge it as a layer, `deploy` needs a whole deployment');
    return issues.result<Deployment>(() => undefined as never);
  }

  const desiredOf = (key: string, missingStatus: 400 | 417): { present: boolean; value: unknown; path: string } => {
    const path = pointer(contentPath, key);
    const entry = content[key];
    if (entry === undefined) {
      issues.add(missingStatus, path, `required property "${key}" is missing: add {"${DESIRED}": {…}} for ${key}`);
      return { present: false, value: undefined, path };
    }
    if (!isObject(entry)) {
      issues.add(400, path, `"${key}" must be an object with a "${DESIRED}" property, got ${describe(entry)}`);
      return { present: false, value: undefined, path };
    }
    for (const k of Object.keys(entry)) {
      if (k !== DESIRED) issues.add(400, pointer(path, k), `unknown property "${k}": a deployment only sets "${DESIRED}" of ${key}`);
    }
    const desiredPath = pointer(path, DESIRED);
    if (!(DESIRED in entry)) {
      issues.add(missingStatus, desiredPath, `required property "${DESIRED}" of ${key} is missing`);
      return { present: false, value: undefined, path: desiredPath };
    }
    return { present: true, value: entry[DESIRED], path: desiredPath };
  };

  const agent = desiredOf('$edgeAgent', 417);
  const buildAgent = !agent.present ? undefined : checkEdgeAgentDesired(agent.value, agent.path, issues);
  const hub = desiredOf('$edgeHub', 400);
  const parsedRoutes = new Map<string, ParsedRoute>();
  const buildHub = !hub.present ? undefined : checkEdgeHubDesired(hub.value, hub.path, issues, parsedRoutes);

  const moduleTwins: Record<string, Json> = {};
  for (const key of Object.keys(content)) {
    if (key === '$edgeAgent' || key === '$edgeHub') continue;
    if (key === '__proto__') {
      issues.add(400, pointer(contentPath, key), RESERVED_NAME_MESSAGE);
      continue;
    }
    if (!MODULE_TWIN_KEY.test(key)) {
      issues.add(400, pointer(contentPath, key), `module twin name ${JSON.stringify(key)} is not allowed: use letters, digits, "_" and "-" (only $edgeAgent and $edgeHub may start with "$")`);
      continue;
    }
    const twin = desiredOf(key, 400);
    if (!twin.present) continue;
    if (!isObject(twin.value)) {
      issues.add(400, twin.path, `the desired properties of ${key} must be a JSON object, got ${describe(twin.value)}`);
      continue;
    }
    setOwn(moduleTwins, key, twin.value);
  }

  // IoT Hub's twin rules hold for every twin the deployment writes, system twins included.
  const sections: [string, unknown, string][] = [
    ['$edgeAgent', agent.value, agent.path],
    ['$edgeHub', hub.value, hub.path],
    ...Object.keys(moduleTwins).map((k): [string, unknown, string] => [k, moduleTwins[k], pointer(contentPath, k, DESIRED)]),
  ];
  for (const [label, value, path] of sections) {
    if (!isObject(value)) continue;
    for (const p of desiredSectionIssues(value, path, label)) issues.add(400, p.path, p.message);
  }

  // Cross-checks (only when $edgeAgent lists modules: with an empty or missing section these would be noise)
  const agentModules = isObject(agent.value) && isObject(agent.value.modules) ? Object.keys(agent.value.modules) : undefined;
  if (agentModules) crossCheck(agentModules, moduleTwins, parsedRoutes, issues);

  return issues.result<Deployment>(() => {
    const edgeAgent: EdgeAgentConfig = buildAgent!();
    const edgeHub: EdgeHubConfig = buildHub!();
    const modulesContent: Deployment['modulesContent'] = {};
    for (const [k, v] of Object.entries(content)) setOwn(modulesContent, k, v as { [DESIRED]: Json });
    return { edgeAgent, edgeHub, moduleTwins, modulesContent };
  });
}

/**
 * Finds `modulesContent` in a submitted manifest: `{modulesContent}`, the `{content: {modulesContent}}`
 * wrapper or legacy `moduleContent` (with a warning), as `az iot edge set-modules` does
 * (`hub.py _process_config_content`). Records the problem and returns undefined when there is none.
 */
export function locateModulesContent(doc: Json, issues: IssueCollector): { content: Json; contentPath: string; contentKey: string } | undefined {
  let base = '';
  let root: Json = doc;
  if (!('modulesContent' in doc) && !('moduleContent' in doc) && 'content' in doc) {
    if (!isObject(doc.content)) {
      issues.add(400, '/content', `"content" must be an object holding "modulesContent", got ${describe(doc.content)}`);
      return undefined;
    }
    base = '/content';
    root = doc.content;
  }
  let contentKey = 'modulesContent';
  if (!('modulesContent' in root) && 'moduleContent' in root) {
    contentKey = 'moduleContent';
    issues.warn('"moduleContent" is deprecated; rename it to "modulesContent"');
  } else if ('modulesContent' in root && 'moduleContent' in root) {
    issues.warn('both "modulesContent" and "moduleContent" are present; "moduleContent" is ignored');
  }
  const contentPath = pointer(base, contentKey);
  const content = root[contentKey];
  if (content === undefined) {
    // no $edgeAgent content at all ⇒ ConfigEmptyError (417)
    issues.add(417, contentPath, 'required property "modulesContent" is missing: a deployment manifest is {"modulesContent": {"$edgeAgent": …, "$edgeHub": …}}');
    return undefined;
  }
  if (!isObject(content)) {
    issues.add(400, contentPath, `"${contentKey}" must be an object keyed by module ($edgeAgent, $edgeHub, …), got ${describe(content)}`);
    return undefined;
  }

  return { content, contentPath, contentKey };
}

/**
 * Layered-deployment content: some module's entry sets `properties.desired.<path>` rather than
 * the whole `properties.desired` (az iot edge deployment create classifies it so;
 * learn.microsoft.com/azure/iot-edge/module-deployment-monitoring#layered-deployment).
 */
export function isLayeredContent(content: Json): boolean {
  for (const entry of Object.values(content)) {
    if (isObject(entry) && Object.keys(entry).some((k) => k.startsWith(`${DESIRED}.`))) return true;
  }
  return false;
}

function crossCheck(agentModules: string[], moduleTwins: Record<string, Json>, parsedRoutes: Map<string, ParsedRoute>, issues: IssueCollector): void {
  const deployed = new Set(agentModules);
  let deployedLowerCase: Set<string> | undefined;
  for (const name of Object.keys(moduleTwins)) {
    if (!deployed.has(name)) issues.warn(`module twin "${name}" has desired properties but no module "${name}" is deployed by $edgeAgent`);
  }
  for (const [name, route] of parsedRoutes) {
    // BrokeredEndpoint delivers to <device>/<moduleId>: module ids are case-sensitive
    if (route.sink.kind === 'moduleInput' && !deployed.has(route.sink.moduleId)) {
      issues.warn(`route "${name}" delivers to module "${route.sink.moduleId}", which this deployment does not run; its messages wait in the queue until their TTL`);
    }
    // source matching is a case-insensitive prefix match (CustomMessageSource.cs)
    const from = MODULE_SOURCE.exec(route.source)?.[1];
    if (from === undefined) continue;
    deployedLowerCase ??= new Set(agentModules.map((m) => m.toLowerCase()));
    if (!deployedLowerCase.has(from.toLowerCase())) {
      issues.warn(`route "${name}" reads from module "${from}", which this deployment does not run`);
    }
  }
  if (agentModules.length > MAX_MODULES_HINT) issues.warn(`${agentModules.length} modules: IoT Hub limits deployments to ${MAX_MODULES_HINT} modules`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'a boolean' : typeof value}`;
}
