import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';

/** TLS material for talking to the apiserver as the admin user (no client library needed). */
export interface AdminTls {
  ca: string;
  cert: string;
  key: string;
}

export interface HttpResult {
  status: number;
  body: string;
}

/**
 * One small HTTP(S) request with a short timeout, used for readiness probes and the node
 * bootstrap while the cluster starts. Probes go with the admin cert: anonymous `/readyz` gets
 * 403 until the RBAC bootstrap finishes (Kubernetes docs "Using RBAC Authorization", default roles).
 */
export function httpCall(url: string, options: { method?: string; body?: unknown; tls?: AdminTls; insecure?: boolean; timeoutMs?: number } = {}): Promise<HttpResult> {
  const target = new URL(url);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const common = { method: options.method ?? 'GET', headers, timeout: options.timeoutMs ?? 5000 };
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req =
      target.protocol === 'https:'
        ? httpsRequest(target, { ...common, ...(options.tls ?? {}), rejectUnauthorized: !options.insecure }, onResponse)
        : httpRequest(target, common, onResponse);
    req.on('timeout', () => req.destroy(new Error(`timeout after ${common.timeout} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
