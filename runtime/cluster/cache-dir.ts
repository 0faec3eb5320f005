import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ComponentName } from './versions.js';

/**
 * Where built binaries live: outside the repo, shared by every checkout on the machine, keyed by
 * version (docs/cluster.md "Where things live"). `EDGEMU_CACHE_DIR` overrides the default `~/.cache/edgemu`.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.EDGEMU_CACHE_DIR;
  if (override !== undefined && override !== '') return override;
  return join(homedir(), '.cache', 'edgemu');
}

/** The version-keyed directory of one component, e.g. `~/.cache/edgemu/bin/k8s-v1.37.2`. */
export function componentDir(root: string, component: ComponentName, version: string): string {
  return join(root, 'bin', `${component}-${version}`);
}
