import { parseQuery, runQuery, type QuerySource } from '../query/index.js';

/**
 * The system metrics IoT Hub computes for an IoT Edge deployment, as twin queries
 * (learn.microsoft.com/azure/iot-edge/module-deployment-monitoring, "Monitor a deployment"):
 * targeted = edge devices meeting the target condition; applied = those whose `$edgeAgent`
 * twin says this deployment is applied (no higher-priority base took over); reported
 * successful/failed = applied devices whose agent reported the current desired version with
 * `lastDesiredStatus.code` 200 / not 200.
 */
export function systemMetricQueries(id: string, targetCondition: string): Record<string, string> {
  const condition = targetCondition.trim();
  const targeted =
    condition === '' ? 'SELECT deviceId FROM devices WHERE false' : condition === '*' ? 'SELECT deviceId FROM devices WHERE capabilities.iotEdge = true' : `SELECT deviceId FROM devices WHERE capabilities.iotEdge = true AND (${condition})`;
  const applied = `SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[${id}]].status = 'Applied'`;
  const current = `${applied} AND properties.desired.$version = properties.reported.lastDesiredVersion`;
  return {
    targetedCount: targeted,
    appliedCount: applied,
    reportedSuccessfulCount: `${current} AND properties.reported.lastDesiredStatus.code = 200`,
    reportedFailedCount: `${current} AND properties.reported.lastDesiredStatus.code != 200`,
  };
}

/**
 * Evaluates metric queries: each result is the number of rows its query answers (IoT Hub's
 * metric results are counts). A query that does not parse counts -1 (it was checked when the
 * configuration was written, so this only shows for one stored before a grammar change).
 */
export function countMetrics(queries: Record<string, string>, source: QuerySource): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, text] of Object.entries(queries)) {
    const parsed = parseQuery(text);
    out[name] = parsed.ok ? runQuery(parsed.query, source).items.length : -1;
  }
  return out;
}
