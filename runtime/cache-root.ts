import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where built binaries and images live: outside the repo, shared by every checkout on the machine,
 * keyed by version (docs/cluster.md "Where things live"). `EDGEMU_CACHE_DIR` overrides the default
 * `~/.cache/edgemu`. A shared file of runtime/ (docs/architecture-rules.md), so the image area and the
 * cluster area both use it without one loading the other.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.EDGEMU_CACHE_DIR;
  if (override !== undefined && override !== '') return override;
  return join(homedir(), '.cache', 'edgemu');
}
