import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubProcess, stopHubProcess } from '../../helpers/hub-process.js';

// The bundled CLI (bin/cli-bundle.js) keeps the lazy imports of the sources lazy: its chunks load
// when a command imports them. test/integration/server/hub-start-imports.test.ts checks the
// sources' imports; this checks the bundle's chunks, by the `// node_modules/<package>/…` comment
// esbuild writes before each bundled file.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let dir: string;
let preload: string;
let urls: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgemu-bundled-imports-'));
  urls = path.join(dir, 'urls.txt');
  writeFileSync(urls, '');
  // a resolve hook (nodejs.org/api/module.html#customization-hooks) that writes down every module URL
  const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) { const r = await next(specifier, context); appendFileSync(${JSON.stringify(urls)}, r.url + '\\n'); return r; }`;
  preload = path.join(dir, 'preload.mjs');
  writeFileSync(preload, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The bundle's chunks loaded since the last call, with their text. */
function chunksLoaded(): string[] {
  const loaded = [...new Set(readFileSync(urls, 'utf8').split('\n'))].filter((u) => u.startsWith('file:') && u.includes('/cli/') && u.includes('/builds/'));
  writeFileSync(urls, '');
  return loaded.map((u) => readFileSync(fileURLToPath(u), 'utf8'));
}

const hasKubernetesClient = (chunk: string) => chunk.includes('// node_modules/@kubernetes/client-node/');

describe('what the bundled CLI loads', () => {
  it('edgemu hub loads the hub and no Kubernetes client', async () => {
    const stateDir = path.join(dir, 'hub');
    mkdirSync(stateDir);
    const hub = await startHubProcess(stateDir, ['--import', preload]);
    try {
      const chunks = chunksLoaded();
      expect(chunks.some((c) => c.includes('// runtime/hub/'))).toBe(true);
      expect(chunks.filter(hasKubernetesClient).length).toBe(0);
    } finally {
      await stopHubProcess(hub);
    }
  });

  it('a command that talks to a cluster is seen loading it (the check can fail)', async () => {
    const manifest = path.join(repo, 'deployments/examples/temperature-filter.deployment.json');
    // the dry run loads the client, then finds no kubeconfig
    await promisify(execFile)(process.execPath, ['--import', preload, path.join(repo, 'bin/edgemu.js'), 'check', manifest, '--dry-run', '--kubeconfig', path.join(dir, 'none')]).catch(() => undefined);
    expect(chunksLoaded().filter(hasKubernetesClient).length).toBeGreaterThan(0);
  });
});
