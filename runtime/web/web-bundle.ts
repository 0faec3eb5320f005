import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { EdgemuError } from '../errors.js';

/** One file of the web view as served: bytes, gzipped bytes, type and a content hash for ETag. */
export interface WebAsset {
  body: Buffer;
  gzip: Buffer;
  contentType: string;
  etag: string;
}

/** The web view's files by URL path (`/`, `/app.js`, `/app.css`). */
export type WebAssets = ReadonlyMap<string, WebAsset>;

const APP_DIR = fileURLToPath(new URL('./app/', import.meta.url));

function asset(body: Buffer, contentType: string): WebAsset {
  return { body, gzip: gzipSync(body, { level: 9 }), contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/**
 * Builds the browser app from `runtime/web/app/` with esbuild, in memory, when the server first
 * needs it (no install-time step, nothing written to disk): one minified script, the stylesheet
 * and the page. `apiVersion` is compiled in as the `api-version` every request sends.
 */
export async function buildWebAssets(options: { apiVersion: string }): Promise<WebAssets> {
  let script: Buffer;
  try {
    const result = await build({
      entryPoints: [`${APP_DIR}main.ts`],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: ['es2022'],
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
      define: { __EDGEMU_API_VERSION__: JSON.stringify(options.apiVersion) },
    });
    script = Buffer.from(result.outputFiles[0]!.contents);
  } catch (error) {
    throw new EdgemuError('WEB_BUNDLE_FAILED', `the web view could not be built from ${APP_DIR}: ${(error as Error).message}`, { cause: error });
  }
  const [html, css] = await Promise.all([readFile(`${APP_DIR}index.html`), readFile(`${APP_DIR}style.css`)]);
  return new Map([
    ['/', asset(html, 'text/html; charset=utf-8')],
    ['/app.js', asset(script, 'text/javascript; charset=utf-8')],
    ['/app.css', asset(css, 'text/css; charset=utf-8')],
  ]);
}
