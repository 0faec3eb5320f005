// Raw HTTPS requests for the cases a well-behaved SDK never sends (bad tokens, huge bodies).
import https from 'node:https';
import { createSasToken } from '../../../runtime/hub/index.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export function serviceToken(key: string, options: { host?: string; expiry?: number; policy?: string } = {}): string {
  return createSasToken(options.host ?? 'localhost', key, options.expiry ?? Math.floor(Date.now() / 1000) + 3600, options.policy ?? 'iothubowner');
}

export function rawRequest(
  port: number,
  ca: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', servername: 'localhost', port, method, path, ca, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}
