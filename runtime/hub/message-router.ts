import type { HubMessage, MessageStore } from './store/message-store.js';

/**
 * The seam between the hub and routing (docs/routing.md). The hub hands every accepted telemetry or
 * module-output message to `route` and acknowledges it (PUBACK for QoS 1) only after the
 * returned promise resolves — store-and-forward's "acknowledge once stored". A rejection
 * closes the sender's connection without an acknowledgement, so the SDK sends again.
 */
export interface MessageRouter {
  route(message: HubMessage): Promise<unknown>;
}

/** The default router: every message goes to the durable message store as `$upstream` telemetry. */
export const upstreamRouter = (messages: MessageStore): MessageRouter => ({
  route: (message) => messages.persist(message, '$upstream'),
});
