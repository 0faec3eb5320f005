import type { Clock } from '../../clock.js';
import type { HubStore } from '../../hub/index.js';
import type { Layout } from '../../translate/index.js';
import type { KubeApi } from '../kubernetes/kube-api.js';
import type { AgentMethodTable } from './agent-method.js';
import { HttpBlobUploader } from './blob-upload.js';
import { supportBundleSources } from './support-bundle-sources.js';
import { TaskRegistry } from './task-registry.js';
import { createUploadMethods } from './upload-methods.js';

/** The concrete pieces the upload methods are built from: what the agent host already has. */
export interface UploadMethodPieces {
  /** The hub's host name; its first label starts every blob name (`<hub>/<device>/…`). */
  hubHostName: string;
  store: Pick<HubStore, 'twins'>;
  kube: Pick<KubeApi, 'list'>;
  clock: Clock;
  /** The agents' layout (where the bundle reads each device's events); default the default layout. */
  layout?: Layout;
}

/**
 * The upload methods wired to edgemu's own pieces, once per agent host (all devices share the
 * table; tasks are kept per device): blobs over the Blob REST API, one task registry, the bundle's
 * twins from the hub store and events from the cluster. `close()` fails the running uploads
 * ("the agent stopped") and waits for them.
 */
export function wireUploadMethods(pieces: UploadMethodPieces): { methods: AgentMethodTable; close(): Promise<void> } {
  const tasks = new TaskRegistry({ clock: pieces.clock });
  const methods = createUploadMethods({
    hubName: pieces.hubHostName.split('.')[0] || pieces.hubHostName,
    blobs: new HttpBlobUploader({ clock: pieces.clock }),
    tasks,
    bundle: supportBundleSources(pieces.store, pieces.kube, pieces.layout),
  });
  return { methods, close: () => tasks.close() };
}
