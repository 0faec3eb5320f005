import { join } from 'node:path';
import type { ComponentName } from './versions.js';

// `cacheRoot` lives in runtime/cache-root.ts, so areas that only need the cache folder (images)
// do not load the cluster area and its Kubernetes client.
export { cacheRoot } from '../cache-root.js';

/** The version-keyed directory of one component, e.g. `~/.cache/edgemu/bin/k8s-v1.37.2`. */
export function componentDir(root: string, component: ComponentName, version: string): string {
  return join(root, 'bin', `${component}-${version}`);
}
