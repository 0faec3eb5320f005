/**
 * One line summing up a device's `$edgeAgent` reported state, for `edgemu up`'s progress output:
 * `edge-1: deployment 2 status 200 — filter running, sensor backoff (3 restarts, exit 1)`.
 * Undefined when nothing useful was reported yet. Pure.
 */
export function describeReported(deviceId: string, reported: Record<string, unknown> | undefined): string | undefined {
  if (!reported) return undefined;
  const status = reported.lastDesiredStatus as { code?: number; description?: string } | undefined;
  if (!status) return undefined;
  const modules = (reported.modules ?? {}) as Record<string, Record<string, unknown>>;
  const parts = Object.keys(modules)
    .sort()
    .map((name) => {
      const m = modules[name]!;
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
