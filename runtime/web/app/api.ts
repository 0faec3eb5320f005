/** The service API as the page calls it: same origin, the session cookie, the web header, the api-version. */

declare const __EDGEMU_API_VERSION__: string;
export const API_VERSION: string = typeof __EDGEMU_API_VERSION__ === 'string' ? __EDGEMU_API_VERSION__ : '2021-04-12';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** Called on every 401 (the page then shows the sign-in). */
let onUnauthorized: (message: string) => void = () => undefined;
export function setUnauthorizedHandler(handler: (message: string) => void): void {
  onUnauthorized = handler;
}

export function withApiVersion(path: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}api-version=${encodeURIComponent(API_VERSION)}`;
}

/** `/twins/D/modules/M`-style paths with every id percent-encoded. */
export function pathOf(...segments: string[]): string {
  return `/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

export interface Answer<T> {
  status: number;
  body: T;
  etag: string | null;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { 'x-edgemu-web': '1', ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json; charset=utf-8';
  }
  const res = await fetch(path.startsWith('/web/') ? path : withApiVersion(path), init);
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) {
    const message = typeof parsed === 'object' && parsed !== null && typeof (parsed as { Message?: unknown }).Message === 'string' ? (parsed as { Message: string }).Message : `HTTP ${res.status}`;
    if (res.status === 401) onUnauthorized(message);
    throw new ApiError(res.status, message, parsed);
  }
  return { status: res.status, body: parsed as T, etag: res.headers.get('etag') };
}

/** An error as one line for the page. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.status}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
