import { reportedEntries } from './describe-reported.js';

/** The modules table of `edgemu status` as data: a header row and one row per module, plus the deployment line. */
export interface StatusTable {
  /** `device D: deployment V of W, status C (description)…`, or the "no status reported yet" sentence. */
  summary: string;
  /** Header first; empty when nothing was reported. */
  rows: string[][];
}

/**
 * The `$edgeAgent` reported object as the table `edgemu status` prints: one row per
 * module (system modules first) with its desired status, runtime status, restarts, exit code
 * and since when (start time when running, exit time otherwise), and — when the agent reports it
 * (`runsOn`) — whether the module really runs: `real` (a container on the real node),
 * `stand-in` (a container of edgemu's stand-in image), `simulated` (a KWOK pod: nothing runs),
 * `cluster` (kind or another cluster decides). Pure, for table tests; the web view shows the same rows.
 */
export function statusTable(deviceId: string, reported: Record<string, unknown> | undefined, desiredVersion?: number): StatusTable {
  if (!reported || Object.keys(reported).length === 0) {
    return { summary: `device ${deviceId}: no status reported yet (is \`edgemu up\` running with an agent for this device?)`, rows: [] };
  }
  const status = (reported.lastDesiredStatus ?? {}) as { code?: number; description?: string };
  const version = reported.lastDesiredVersion;
  const behind = desiredVersion !== undefined && typeof version === 'number' && version < desiredVersion;
  const summary = `device ${deviceId}: deployment ${version ?? '-'}${desiredVersion !== undefined ? ` of ${desiredVersion}` : ''}, status ${status.code ?? '-'}${status.description ? ` (${status.description})` : ''}${behind ? ' — the agent has not processed the latest deployment yet' : ''}`;
  const withRuns = reportedEntries(reported.modules).some(([, m]) => typeof m.runsOn === 'string');
  const rows: string[][] = [['MODULE', 'DESIRED', 'RUNTIME', ...(withRuns ? ['RUNS'] : []), 'RESTARTS', 'EXIT', 'SINCE']];
  const add = (name: string, m: Record<string, unknown>, system = false) => {
    const runtime = String(m.runtimeStatus ?? 'unknown');
    const since = runtime === 'running' ? m.lastStartTimeUtc : (m.lastExitTimeUtc ?? m.lastStartTimeUtc);
    rows.push([
      name,
      String(m.status ?? (name === 'edgeAgent' ? 'running' : '-')),
      runtime,
      ...(withRuns ? [system ? 'in edgemu' : typeof m.runsOn === 'string' ? m.runsOn : '-'] : []),
      String(m.restartCount ?? 0),
      String(m.exitCode ?? '-'),
      since === undefined || String(since).startsWith('0001-') ? '-' : String(since),
    ]);
  };
  const system = new Map(reportedEntries(reported.systemModules));
  for (const name of ['edgeAgent', 'edgeHub']) {
    const m = system.get(name);
    if (m) add(name, m, true);
  }
  for (const [name, m] of reportedEntries(reported.modules)) add(name, m);
  return { summary, rows };
}

/** `statusTable` as the text `edgemu status` prints (columns padded, the last one not). */
export function renderStatusTable(deviceId: string, reported: Record<string, unknown> | undefined, desiredVersion?: number): string {
  const { summary, rows } = statusTable(deviceId, reported, desiredVersion);
  if (rows.length === 0) return `${summary}\n`;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = [summary, ...rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))];
  return `${lines.join('\n')}\n`;
}
