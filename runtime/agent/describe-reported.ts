/**
 * One line summing up a device's `$edgeAgent` reported state, for `edgemu up`'s progress output:
 * `edge-1: deployment 2 status 200 — filter running, sensor backoff (3 restarts, exit 1)`.
 * Undefined when nothing useful was reported yet. Pure.
 */
export function describeReported(deviceId: string, reported: Record<string, unknown> | undefined): string | undefined {
  if (!reported) return undefined;
  const status = reported.lastDesiredStatus as { code?: number; description?: string } | undefined;
  if (!status) return undefined;
  const parts = reportedEntries(reported.modules)
    .map(([name, m]) => {
      const runtime = String(m.runtimeStatus ?? 'unknown');
      const restarts = Number(m.restartCount ?? 0);
      const exit = Number(m.exitCode ?? 0);
      const details = [...(restarts > 0 ? [`${restarts} restarts`] : []), ...(exit !== 0 ? [`exit ${exit}`] : [])];
      const extra = details.length > 0 ? ` (${details.join(', ')})` : '';
      return `${name} ${runtime}${extra}`;
    });
  const head = `${deviceId}: deployment ${String(reported.lastDesiredVersion ?? '-')} status ${status.code ?? '-'}${status.code !== 200 && status.description ? ` (${status.description})` : ''}`;
  return parts.length > 0 ? `${head} — ${parts.join(', ')}` : `${head} — no modules`;
}

/**
 * The object-valued entries of a reported `modules`/`systemModules` map, sorted by name. A twin's
 * reported section can be written by anyone holding the `$edgeAgent` key, so anything else (a
 * string, an array, a null entry) is skipped rather than trusted.
 */
export function reportedEntries(value: unknown): Array<[string, Record<string, unknown>]> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>)
    .filter((e): e is [string, Record<string, unknown>] => e[1] !== null && typeof e[1] === 'object' && !Array.isArray(e[1]))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
