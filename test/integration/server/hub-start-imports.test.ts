import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const child = path.join(root, 'test/helpers/loaded-modules-child.mjs');

/** Every module URL that importing `file` loads, seen by a resolve hook in a fresh process. */
async function modulesLoadedBy(file: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [child, pathToFileURL(path.join(root, file)).href], { cwd: root, timeout: 60_000 });
  return JSON.parse(stdout) as string[];
}

const isKubernetesClient = (url: string) => url.includes('/node_modules/@kubernetes/client-node/');

describe('what starting the hub loads', () => {
  // `edgemu hub` imports start-server.ts; the Kubernetes client (~35 MB of heap that every major GC
  // marks) is needed only once agents run, which load it themselves.
  it('the server module loads no Kubernetes client until an agent needs one', async () => {
    const loaded = await modulesLoadedBy('runtime/server/start-server.ts');
    expect(loaded.some((u) => u.includes('/runtime/hub/index.ts'))).toBe(true);
    expect(loaded.filter(isKubernetesClient)).toEqual([]);
  });

  it('declaring every CLI command loads no Kubernetes client (commands load it when they run)', async () => {
    const loaded = await modulesLoadedBy('runtime/cli/program.ts');
    expect(loaded.some((u) => u.includes('/runtime/cli/commands/cluster.ts'))).toBe(true);
    expect(loaded.filter(isKubernetesClient)).toEqual([]);
  });

  it('the cluster area, which does need it, is seen loading it (the check can fail)', async () => {
    const loaded = await modulesLoadedBy('runtime/cluster/index.ts');
    expect(loaded.filter(isKubernetesClient).length).toBeGreaterThan(0);
  });
});
