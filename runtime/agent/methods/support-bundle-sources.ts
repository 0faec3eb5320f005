import type { HubStore } from '../../hub/index.js';
import { DEFAULT_LAYOUT, type Layout } from '../../translate/index.js';
import type { KubeApi, KubeObject } from '../kubernetes/kube-api.js';
import { renderStatusTable } from '../status-table.js';
import type { SupportBundleSources } from './support-bundle.js';

/**
 * The support bundle's sources bound to edgemu's own pieces: twins from the hub store (the
 * service view `GET /twins/{id}/modules/{mid}` gives), the status table `edgemu status` prints,
 * and the device namespace's events (the layout's namespace) from the API server (`GET /api/v1/namespaces/<ns>/events`).
 */
export function supportBundleSources(store: Pick<HubStore, 'twins'>, kube: Pick<KubeApi, 'list'>, layout: Layout = DEFAULT_LAYOUT): SupportBundleSources {
  return {
    twin: (deviceId, moduleId) => Promise.resolve(store.twins.get({ deviceId, moduleId })),
    statusTable: (deviceId) => {
      const twin = store.twins.get({ deviceId, moduleId: '$edgeAgent' });
      const { $metadata: _m, $version: _v, ...reported } = (twin?.properties.reported ?? {}) as Record<string, unknown>;
      return Promise.resolve(renderStatusTable(deviceId, reported, twin?.properties.desired.$version as number | undefined));
    },
    clusterEvents: async (deviceId) => (await kube.list('v1', 'Event', layout.namespace(deviceId), '')).map(compactEvent).sort(byTime),
  };
}

/** An event without its managedFields bookkeeping. */
function compactEvent(event: KubeObject): KubeObject {
  const { managedFields: _f, ...metadata } = event.metadata ?? {};
  return { ...event, metadata };
}

const timeOf = (e: KubeObject): string => String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? '');
const byTime = (a: KubeObject, b: KubeObject): number => (timeOf(a) < timeOf(b) ? -1 : timeOf(a) > timeOf(b) ? 1 : 0);
