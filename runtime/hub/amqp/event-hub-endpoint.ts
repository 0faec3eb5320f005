import type { Delivery, Sender } from 'rhea';
import type { AmqpWireMessage } from './amqp-message.js';
import type { LinkAddress } from './link-address.js';
import type { OutgoingLink } from './outgoing-link.js';

/** The Event Hubs-compatible endpoint as the AMQP connection uses it (`event-hub-reader.ts` implements it). */
export interface EventHubEndpoint {
  /** A request on `$management` (`READ` of `com.microsoft:eventhub` or `com.microsoft:partition`); `reply` answers it. */
  onManagementRequest(delivery: Delivery, message: AmqpWireMessage & { reply_to?: string; message_id?: unknown }, reply: (message: object) => void): void;
  /** A receiver attached to `<entity>/ConsumerGroups/<group>/Partitions/<id>`; returns what stops it. */
  openReader(sender: Sender, link: OutgoingLink, address: Extract<LinkAddress, { kind: 'event-hub-partition' }>): () => void;
}
