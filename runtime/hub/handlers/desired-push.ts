import { clientIdOf } from '../identity-id.js';
import type { DesiredChange } from '../store/twin-store.js';
import type { HandlerContext } from './handler-context.js';

/**
 * A desired-properties change goes to the twin's client when it listens for desired patches
 * (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub "Receiving desired properties
 * update notifications"): the patch with its `$version`.
 */
export function pushDesired(ctx: HandlerContext, change: DesiredChange): void {
  const session = ctx.connections.get(clientIdOf(change.ref));
  if (session && session.listens('desired')) session.desiredPatch(change.version, JSON.stringify({ ...change.patch, $version: change.version }));
}
