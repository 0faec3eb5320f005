import { ClusterError } from './cluster-errors.js';

/** HTTP status of a client-node ApiException (undefined for a network error). */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** A failed API call as `KUBE_API_FAILED`, with the API server's Status message when there is one. */
export function apiFailure(what: string, error: unknown): ClusterError {
  if (error instanceof ClusterError) return error;
  const e = error as { code?: unknown; body?: unknown; message?: string };
  let message = e.message ?? String(error);
  try {
    const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { message?: string } | undefined;
    if (body?.message !== undefined) message = body.message;
  } catch {
    // not a Status body
  }
  return new ClusterError('KUBE_API_FAILED', `${what} failed${typeof e.code === 'number' ? ` (HTTP ${e.code})` : ''}: ${message}`, { cause: error });
}
