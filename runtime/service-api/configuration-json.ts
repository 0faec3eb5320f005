import type { StoredConfiguration } from '../hub/index.js';
import { etagOf } from '../hub/index.js';
import { isLayeredContent, validateLayer, validateManifest } from '../manifest/index.js';
import { parseCondition, parseQuery } from '../query/index.js';
import { apiErrors } from './service-api-error.js';
import { describeIssues } from './apply-configuration.js';
import { isJsonObject } from './read-body.js';

type Json = Record<string, unknown>;

/**
 * The most configurations one hub holds: IoT Hub's quota of automatic device and module
 * configurations (and IoT Edge deployments, layered ones included) for a paid hub
 * (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling, "Other limits").
 */
export const MAX_CONFIGURATIONS = 100;

/** The most custom metric queries one configuration carries. */
export const MAX_CUSTOM_METRICS = 100;

/**
 * A configuration id as IoT Hub accepts it: up to 128 lowercase letters, digits and
 * `- : + % _ # * ? ! ( ) , = @ ; $ '` (learn.microsoft.com/azure/iot-edge/how-to-deploy-at-scale, "Deployment name").
 */
const CONFIGURATION_ID = /^[a-z0-9\-:+%_#*?!(),=@;$']{1,128}$/;

/** What a client may write of a configuration (`PUT /configurations/{id}`); the server keeps the rest. */
export interface ConfigurationInput {
  id: string;
  schemaVersion: string;
  labels: Record<string, string>;
  content: { modulesContent: Record<string, Json> };
  targetCondition: string;
  priority: number;
  metricQueries: Record<string, string>;
}

/** Whether an edge deployment's content is a layer (`properties.desired.<path>` keys), as the manifest area decides. */
export const isLayeredDeploymentContent = (content: { modulesContent: Record<string, Json> }): boolean => isLayeredContent(content.modulesContent);

/**
 * Checks a configuration body against IoT Hub's rules (learn.microsoft.com/rest/api/iothub/service/configuration/create-or-update):
 * the id (matching the path), a target condition in the query language (empty targets no
 * device), a non-negative integer priority, string labels, custom metric queries that parse,
 * and `content.modulesContent` — a whole deployment judged by the validator of
 * `applyConfigurationContent`, or a layer judged by the layer rules. Device and module
 * configurations (a non-empty `deviceContent` or `moduleContent`) are refused: edgemu applies IoT Edge
 * deployments only. Throws 400 with every problem.
 */
export function parseConfigurationInput(body: unknown, pathId: string): ConfigurationInput {
  if (!isJsonObject(body)) throw apiErrors.badRequest('The body must be a configuration object.');
  if (!CONFIGURATION_ID.test(pathId)) {
    throw apiErrors.badRequest(`Configuration id '${pathId.slice(0, 140)}' is invalid: use up to 128 lowercase letters, digits and - : + % _ # * ? ! ( ) , = @ ; $ '.`);
  }
  if (body.id !== undefined && body.id !== pathId) throw apiErrors.badRequest(`The body's id '${String(body.id).slice(0, 140)}' differs from the id in the path '${pathId}'.`);
  const schemaVersion = body.schemaVersion === undefined ? '1.0' : body.schemaVersion;
  if (typeof schemaVersion !== 'string') throw apiErrors.badRequest('schemaVersion must be a string.');

  const targetCondition = body.targetCondition ?? '';
  if (typeof targetCondition !== 'string') throw apiErrors.badRequest('targetCondition must be a string.');
  const conditionError = targetConditionError(targetCondition);
  if (conditionError) throw apiErrors.badRequest(`targetCondition is invalid: ${conditionError}`);

  const priority = body.priority ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 2 ** 31 - 1) {
    throw apiErrors.badRequest('priority must be a non-negative integer.');
  }

  const labels = body.labels ?? {};
  if (!isJsonObject(labels) || Object.values(labels).some((v) => typeof v !== 'string')) throw apiErrors.badRequest('labels must be an object of strings.');

  const metricQueries = parseMetricQueries(body.metrics);
  const content = parseContent(body.content);
  return { id: pathId, schemaVersion, labels: labels as Record<string, string>, content, targetCondition, priority, metricQueries };
}

/** The problem with a target condition, or undefined when it parses (empty = no device). */
export function targetConditionError(condition: string): string | undefined {
  if (condition.trim() === '') return undefined;
  const parsed = parseCondition(condition);
  return parsed.ok ? undefined : `${parsed.error.message} (position ${parsed.error.position})`;
}

/** The problem with a metric query, or undefined when it parses. */
export function metricQueryError(query: string): string | undefined {
  const parsed = parseQuery(query);
  return parsed.ok ? undefined : `${parsed.error.message} (position ${parsed.error.position})`;
}

function parseMetricQueries(metrics: unknown): Record<string, string> {
  if (metrics === undefined || metrics === null) return {};
  if (!isJsonObject(metrics)) throw apiErrors.badRequest('metrics must be an object with "queries".');
  const queries = metrics.queries ?? {};
  if (!isJsonObject(queries)) throw apiErrors.badRequest('metrics.queries must be an object of query strings.');
  const entries = Object.entries(queries);
  if (entries.length > MAX_CUSTOM_METRICS) throw apiErrors.badRequest(`metrics.queries has ${entries.length} queries; at most ${MAX_CUSTOM_METRICS} are allowed.`);
  const out: Record<string, string> = {};
  for (const [name, query] of entries) {
    if (typeof query !== 'string') throw apiErrors.badRequest(`metrics.queries.${name} must be a query string.`);
    const error = metricQueryError(query);
    if (error) throw apiErrors.badRequest(`metrics.queries.${name} is invalid: ${error}`);
    out[name] = query;
  }
  return out;
}

function parseContent(content: unknown): { modulesContent: Record<string, Json> } {
  if (!isJsonObject(content)) throw apiErrors.badRequest('content must be an object with "modulesContent".');
  const present = (v: unknown) => v !== undefined && v !== null && !(isJsonObject(v) && Object.keys(v).length === 0);
  if (present(content.deviceContent) || present(content.moduleContent)) {
    throw apiErrors.badRequest('edgemu applies IoT Edge deployments only: content must have "modulesContent", not "deviceContent" or "moduleContent".');
  }
  if (!isJsonObject(content.modulesContent)) throw apiErrors.badRequest('content.modulesContent must be an object.');
  const modulesContent = content.modulesContent as Record<string, Json>;
  const layered = isLayeredContent(modulesContent);
  const result = layered ? validateLayer({ modulesContent }) : validateManifest({ modulesContent });
  if (result.status !== 200) {
    const count = result.errors.length;
    // The SDK shows the text up to the first ';' only, so the summary must not contain one.
    throw apiErrors.badRequest(
      `The ${layered ? 'layered ' : ''}deployment content is invalid (${count} problem${count === 1 ? '' : 's'}): ${describeIssues(result.errors).replace(/;/g, ',')}`,
      { deploymentStatus: result.status, errors: result.errors, warnings: result.warnings },
    );
  }
  return { modulesContent };
}

/** The stored document of a configuration input (what `StoredConfiguration.doc` holds). */
export function configurationDoc(input: ConfigurationInput): Json {
  return {
    schemaVersion: input.schemaVersion,
    labels: input.labels,
    content: input.content,
    targetCondition: input.targetCondition,
    priority: input.priority,
    metrics: { queries: input.metricQueries },
  };
}

/** The ETag of a stored configuration. */
export const configurationEtag = (stored: StoredConfiguration): string => etagOf(stored.version);

/** Metric results of one configuration (counts by metric name). */
export interface ConfigurationMetricResults {
  systemQueries: Record<string, string>;
  system: Record<string, number>;
  custom: Record<string, number>;
}

/** A stored configuration as IoT Hub's REST API answers it (azure-iothub's `Configuration`). */
export function configurationJson(stored: StoredConfiguration, metrics: ConfigurationMetricResults): Json {
  const doc = stored.doc;
  const customQueries = (isJsonObject(doc.metrics) && isJsonObject(doc.metrics.queries) ? doc.metrics.queries : {}) as Record<string, string>;
  return {
    id: stored.id,
    schemaVersion: doc.schemaVersion ?? '1.0',
    labels: doc.labels ?? {},
    content: doc.content,
    targetCondition: doc.targetCondition ?? '',
    createdTimeUtc: stored.createdTimeUtc,
    lastUpdatedTimeUtc: stored.lastUpdatedTimeUtc,
    priority: doc.priority ?? 0,
    systemMetrics: { results: metrics.system, queries: metrics.systemQueries },
    metrics: { results: metrics.custom, queries: customQueries },
    etag: configurationEtag(stored),
  };
}
