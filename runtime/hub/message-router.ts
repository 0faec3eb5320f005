import type { MethodInvocation, MethodResult } from './hub-types.js';
import type { IdentityRef } from './identity-id.js';
import type { HubMessage, MessageStore } from './store/message-store.js';

/**
 * The seam between the hub and routing (docs/routing.md). The hub hands every accepted telemetry or
 * module-output message to `route` and acknowledges it (PUBACK for QoS 1) only after the
 * returned promise resolves — store-and-forward's "acknowledge once stored". A rejection
 * closes the sender's connection without an acknowledgement, so the SDK sends again.
 */
export interface MessageRouter {
  route(message: HubMessage): Promise<unknown>;
  /**
   * Direct methods the router answers itself, because it is that identity: edgeHub's own methods
   * on `<device>/$edgeHub` (docs/routing.md "edgeHub's direct methods"). A handler for `ref`, or
   * undefined when calls to `ref` go to its connection. Such an identity counts as connected.
   */
  ownMethods?(ref: IdentityRef): ((call: MethodInvocation) => Promise<MethodResult>) | undefined;
}

/** The default router: every message goes to the durable message store as `$upstream` telemetry. */
export const upstreamRouter = (messages: MessageStore): MessageRouter => ({
  route: (message) => messages.persist(message, '$upstream'),
});
