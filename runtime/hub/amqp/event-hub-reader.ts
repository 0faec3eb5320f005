import rhea, { type Delivery, type Sender } from 'rhea';
import type { Logger } from '../../log/create-logger.js';
import { verifyPolicyToken, type PolicyTokenContext } from '../policy-token.js';
import type { EventPartitionIndex } from '../store/event-partition-index.js';
import type { MessageStore } from '../store/message-store.js';
import { encodeEventHubMessage } from './event-encoder.js';
import type { EventHubEndpoint } from './event-hub-endpoint.js';
import { parseEventPosition, selectorOf, type EventPosition } from './event-position.js';
import type { LinkAddress } from './link-address.js';
import type { OutgoingLink } from './outgoing-link.js';

export interface EventHubOptions {
  /** The Event Hub-compatible name (`EntityPath`). */
  entity: string;
  partitionCount: number;
  messages: MessageStore;
  /** Which partition each `$upstream` message lies in, for `partitionCount` (store/event-partition-index.ts). */
  index: EventPartitionIndex;
  policies: () => PolicyTokenContext;
  /** When the endpoint was created (`created_at`). */
  createdAt: Date;
  logger: Logger;
}

/** The endpoint telemetry reaches: the default route's `$upstream` (docs/routing.md). */
const UPSTREAM = '$upstream';
const READ_BATCH = 256;
/** What one partition receiver may send per turn of the event loop before it lets others run. */
const MAX_PUMP_BYTES = 1024 * 1024;

/**
 * IoT Hub's built-in Event Hubs-compatible endpoint (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-read-builtin),
 * read-only, over the hub's durable message store: `$management` answers `com.microsoft:eventhub`
 * and `com.microsoft:partition` READs; a partition receiver gets the partition's telemetry from
 * its start position, in store order, only as far as its credit allows, then follows new
 * messages live. Sequence numbers and offsets are store sequence numbers (increasing within a
 * partition, with gaps where another partition's message sits), so a consumer restarted from a
 * checkpoint sees every later message once, in order. Any consumer group name is accepted.
 */
export function createEventHubReader(options: EventHubOptions): EventHubEndpoint {
  const { messages, entity, partitionCount, index } = options;
  const partitionIds = Array.from({ length: partitionCount }, (_, i) => String(i));

  const partitionInfo = (p: number) => {
    const { firstSeq, last } = index.bounds(p);
    return {
      name: entity,
      type: 'com.microsoft:partition',
      partition: String(p),
      begin_sequence_number: rhea.types.wrap_long(firstSeq ?? 0),
      last_enqueued_sequence_number: rhea.types.wrap_long(last?.seq ?? -1),
      last_enqueued_offset: String(last?.seq ?? -1),
      last_enqueued_time_utc: new Date(last?.enqueuedTimeUtc ?? 0),
      is_partition_empty: last === undefined,
    };
  };

  return {
    onManagementRequest(delivery: Delivery, message, reply) {
      if (!delivery.remote_settled) delivery.accept();
      const props = message.application_properties ?? {};
      const answer = (status: number, description: string, body?: unknown) =>
        reply({
          correlation_id: message.message_id,
          ...(message.reply_to ? { to: message.reply_to } : {}),
          application_properties: { 'status-code': rhea.types.wrap_int(status), 'status-description': description },
          ...(body !== undefined ? { body } : {}),
        });
      const token = typeof props.security_token === 'string' ? props.security_token : undefined;
      if (token !== undefined) {
        const check = verifyPolicyToken(token, 'ServiceConnect', entity, options.policies());
        if (!check.ok) return answer(401, check.message);
      }
      if (props.operation !== 'READ') return answer(400, `unsupported $management operation ${JSON.stringify(props.operation)}`);
      if (props.name !== entity) return answer(404, `no Event Hub named ${JSON.stringify(props.name)}; this hub's is ${entity}`);
      if (props.type === 'com.microsoft:eventhub') {
        return answer(200, 'OK', { name: entity, type: 'com.microsoft:eventhub', created_at: options.createdAt, partition_count: partitionCount, partition_ids: partitionIds });
      }
      if (props.type === 'com.microsoft:partition') {
        const p = partitionIds.indexOf(String(props.partition));
        if (p < 0) return answer(404, `no partition ${JSON.stringify(props.partition)}; partitions are ${partitionIds.join(', ')}`);
        return answer(200, 'OK', partitionInfo(p));
      }
      return answer(400, `unsupported $management type ${JSON.stringify(props.type)}`);
    },

    openReader(sender: Sender, link: OutgoingLink, address: Extract<LinkAddress, { kind: 'event-hub-partition' }>) {
      const fail = (condition: string, description: string) => {
        sender.close({ condition, description });
        return () => {};
      };
      if (address.entity !== entity) return fail('amqp:not-found', `no Event Hub named ${address.entity}; this hub's is ${entity}`);
      const p = partitionIds.indexOf(address.partitionId);
      if (p < 0) return fail('amqp:not-found', `no partition ${address.partitionId}; partitions are ${partitionIds.join(', ')}`);
      const source = sender.source as { filter?: unknown } | undefined;
      const position: EventPosition | undefined = parseEventPosition(selectorOf(source?.filter));
      if (!position) return fail('amqp:invalid-field', `unsupported event position filter ${JSON.stringify(selectorOf(source?.filter))}`);
      let cursor = position.kind === 'after-seq' ? position.seq : position.kind === 'latest' ? messages.lastSeq() : 0;
      let afterTime = position.kind === 'after-time' ? position.epochMs : undefined;
      // One page per read of the index, as many events as the receiver's credit allows (AMQP 1.0
      // §2.6.7: nothing is read ahead of credit), at most MAX_PUMP_BYTES per turn of the event
      // loop; the rest of the credit is used on the next turn, after the socket took this one.
      let again = false;
      const pump = () => {
        let bytes = 0;
        while (link.isOpen && link.credit > 0) {
          if (bytes >= MAX_PUMP_BYTES) {
            if (!again) {
              again = true;
              setImmediate(() => {
                again = false;
                pump();
              });
            }
            return;
          }
          const want = Math.min(READ_BATCH, link.credit);
          const page = index.readRows(p, cursor, want);
          for (const row of page) {
            if (afterTime !== undefined) {
              if (Date.parse(row[4]) <= afterTime) {
                cursor = row[0];
                continue;
              }
              afterTime = undefined;
            }
            // The partition key is the device id (event-position.ts partitionOf).
            const event = encodeEventHubMessage(row, row[1]);
            // Not taken (the link went, or rhea's session buffer is full): read again from here.
            if (!link.sendEncoded(event)) return;
            cursor = row[0];
            bytes += event.length;
          }
          if (page.length < want) return;
        }
      };
      sender.on('sendable', pump);
      // New messages wake the reader once per event-loop turn, however many a group commit stored.
      let woken = false;
      const wake = () => {
        if (woken) return;
        woken = true;
        setImmediate(() => {
          woken = false;
          pump();
        });
      };
      const unsubscribe = messages.subscribe(wake, { endpoint: UPSTREAM });
      setImmediate(pump);
      options.logger.debug({ partition: p, consumerGroup: address.consumerGroup, position }, 'Event Hubs reader attached');
      return unsubscribe;
    },
  };
}
