import { EdgemuError } from '../errors.js';
import { isLayeredContent } from '../manifest/index.js';
import { isJsonObject } from './read-body.js';

/** What `edgemu deployment create` was given, its files already parsed as JSON. */
export interface DeploymentCreateInput {
  id: string;
  /** The `--content` file: `{"modulesContent": …}` or `{"content": {"modulesContent": …}}`, as `az iot edge deployment create` takes. */
  content: unknown;
  targetCondition: string;
  priority: number;
  layered: boolean;
  /** The `--metrics` file: `{"queries": {…}}` or `{"metrics": {"queries": {…}}}`. */
  metrics?: unknown;
  labels?: Record<string, string>;
}

const refuse = (message: string) => new EdgemuError('DEPLOYMENT_INPUT', message);

/**
 * The configuration body `edgemu deployment create` sends (learn.microsoft.com/cli/azure/iot/edge/deployment,
 * "az iot edge deployment create"): the content is unwrapped from either file shape, and its kind
 * must agree with `--layered` — a layer (`properties.desired.<path>` keys) needs `--layered`, a
 * whole deployment must not have it — so a layer is never created by mistake as a base that
 * replaces every device's modules. The hub checks everything else.
 */
export function deploymentRequest(input: DeploymentCreateInput): Record<string, unknown> & { id: string } {
  const file = input.content;
  if (!isJsonObject(file)) throw refuse('the content file must hold a JSON object with "modulesContent"');
  const wrapped = isJsonObject(file.content) ? file.content : file;
  if (!isJsonObject(wrapped.modulesContent)) throw refuse('the content file has no "modulesContent" (give {"modulesContent": …} or {"content": {"modulesContent": …}})');
  const layered = isLayeredContent(wrapped.modulesContent);
  if (layered && !input.layered) throw refuse('the content is a layered deployment ("properties.desired.…" keys): add --layered');
  if (!layered && input.layered) throw refuse('--layered was given but the content is a whole deployment ($edgeAgent with "properties.desired"); layer content sets "properties.desired.<path>" keys');
  const queries = input.metrics !== undefined ? metricQueriesOf(input.metrics) : undefined;
  return {
    id: input.id,
    schemaVersion: '1.0',
    content: { modulesContent: wrapped.modulesContent },
    targetCondition: input.targetCondition,
    priority: input.priority,
    labels: input.labels ?? {},
    ...(queries !== undefined ? { metrics: { queries } } : {}),
  };
}

/** The queries of a `--metrics` file: `{"queries": {…}}` or `{"metrics": {"queries": {…}}}`. */
function metricQueriesOf(file: unknown): Record<string, unknown> {
  const queries = isJsonObject(file) && isJsonObject(file.metrics) ? file.metrics.queries : isJsonObject(file) ? file.queries : undefined;
  if (!isJsonObject(queries)) throw refuse('the metrics file must hold {"queries": {"<name>": "<query>"}} or {"metrics": {"queries": …}}');
  return queries;
}

/** What `edgemu deployment update` was given: only what IoT Hub lets change after creation. */
export interface DeploymentUpdateInput {
  targetCondition?: string;
  priority?: number;
  /** Replaces all labels. */
  labels?: Record<string, string>;
  /** The `--metrics` file; replaces all custom metric queries. */
  metrics?: unknown;
}

/**
 * The configuration body `edgemu deployment update` sends: the deployment as the hub holds it
 * (`current`, from `GET /configurations/{id}`) with the changes applied. Only the target
 * condition, priority, labels and metrics change; the content is immutable, as on IoT Hub
 * (learn.microsoft.com/azure/iot-edge/how-to-deploy-cli-at-scale, "Modify a deployment": "you can't
 * update the content of a deployment"; `az iot edge deployment update`). Refuses an update that
 * changes nothing. Pure.
 */
export function deploymentUpdateRequest(current: Record<string, unknown> & { id: string }, changes: DeploymentUpdateInput): Record<string, unknown> & { id: string } {
  if (changes.targetCondition === undefined && changes.priority === undefined && changes.labels === undefined && changes.metrics === undefined) {
    throw refuse('nothing to update: give --target-condition, --priority, --labels or --metrics (the content of a deployment cannot change)');
  }
  const currentQueries = isJsonObject(current.metrics) && isJsonObject(current.metrics.queries) ? current.metrics.queries : {};
  return {
    id: current.id,
    schemaVersion: typeof current.schemaVersion === 'string' ? current.schemaVersion : '1.0',
    content: current.content,
    targetCondition: changes.targetCondition ?? current.targetCondition ?? '',
    priority: changes.priority ?? current.priority ?? 0,
    labels: changes.labels ?? current.labels ?? {},
    metrics: { queries: changes.metrics !== undefined ? metricQueriesOf(changes.metrics) : currentQueries },
  };
}

/** One configuration as `GET /configurations` answers it (the members the table shows). */
interface ConfigurationView {
  id: string;
  priority?: unknown;
  targetCondition?: unknown;
  content?: { modulesContent?: Record<string, unknown> };
  systemMetrics?: { results?: Record<string, unknown> };
  metrics?: { results?: Record<string, unknown> };
}

/** `edgemu deployment list`: one line per deployment with its kind, priority, target and system metrics. */
export function formatDeploymentTable(configurations: readonly ConfigurationView[]): string {
  if (configurations.length === 0) return 'no deployments\n';
  const columns = ['ID', 'KIND', 'PRIORITY', 'TARGETED', 'APPLIED', 'SUCCESS', 'FAILED', 'TARGET CONDITION'];
  const rows = configurations.map((c) => {
    const r = c.systemMetrics?.results ?? {};
    const kind = isJsonObject(c.content?.modulesContent) && isLayeredContent(c.content.modulesContent) ? 'layered' : 'base';
    return [c.id, kind, String(c.priority ?? 0), String(r.targetedCount ?? ''), String(r.appliedCount ?? ''), String(r.reportedSuccessfulCount ?? ''), String(r.reportedFailedCount ?? ''), String(c.targetCondition ?? '')];
  });
  const widths = columns.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(columns), ...rows.map(line)].join('\n')}\n`;
}

/** `edgemu deployment show`: the deployment's settings, its modules, and every metric with its count. */
export function formatDeploymentDetails(c: ConfigurationView & { createdTimeUtc?: unknown; lastUpdatedTimeUtc?: unknown; etag?: unknown }): string {
  const modulesContent = c.content?.modulesContent ?? {};
  const layered = isJsonObject(modulesContent) && isLayeredContent(modulesContent);
  const agent = modulesContent.$edgeAgent as Record<string, unknown> | undefined;
  const modules = layered
    ? Object.keys(agent ?? {})
        .filter((k) => k.startsWith('properties.desired.modules.'))
        .map((k) => k.slice('properties.desired.modules.'.length))
    : Object.keys(((agent?.['properties.desired'] as { modules?: object } | undefined)?.modules ?? {}) as object);
  const lines = [
    `id               ${c.id}`,
    `kind             ${layered ? 'layered' : 'base'}`,
    `priority         ${String(c.priority ?? 0)}`,
    `target condition ${String(c.targetCondition ?? '') || '(none: targets no device)'}`,
    `modules          ${modules.length === 0 ? '(none)' : modules.join(', ')}`,
    `twins            ${Object.keys(modulesContent).join(', ')}`,
    `created          ${String(c.createdTimeUtc ?? '')}`,
    `updated          ${String(c.lastUpdatedTimeUtc ?? '')}`,
    `etag             ${String(c.etag ?? '')}`,
    'metrics:',
    ...Object.entries(c.systemMetrics?.results ?? {}).map(([k, v]) => `  ${k} ${String(v)}`),
    ...Object.entries(c.metrics?.results ?? {}).map(([k, v]) => `  ${k} ${String(v)} (custom)`),
  ];
  return `${lines.join('\n')}\n`;
}
