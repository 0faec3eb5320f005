import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { C2dMessage } from './store/c2d-queue.js';
import { Listeners } from './store/listeners.js';

/** IoT Hub's feedback status codes (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-c2d "Message feedback"). */
export type FeedbackStatus = 'Success' | 'Rejected' | 'Expired' | 'DeliveryCountExceeded' | 'Purged';

/** One feedback record as IoT Hub puts it in the JSON array of a feedback message. */
export interface FeedbackRecord {
  originalMessageId: string;
  enqueuedTimeUtc: string;
  statusCode: FeedbackStatus;
  description: string;
  deviceId: string;
  deviceGenerationId: string;
}

/** The application property a service sets on a C2D message to ask for feedback: `none` (default), `positive`, `negative`, `full`. */
export const ACK_PROPERTY = 'iothub-ack';

/** At most this many feedback records wait for a service to receive them; the oldest are dropped first. */
export const MAX_PENDING_FEEDBACK = 10_000;

/**
 * Delivery feedback for C2D messages whose sender asked for it (`iothub-ack`): `positive`
 * and `full` get Success when the device completes, `negative` and `full` get Rejected or
 * DeliveryCountExceeded. Records wait (in memory, bounded) until a service's feedback receiver
 * (`/messages/serviceBound/feedback`) accepts them.
 */
export class C2dFeedback {
  readonly added: Listeners<void>;
  private readonly pending: FeedbackRecord[] = [];

  constructor(
    private readonly clock: Clock,
    onListenerError: (error: unknown) => void,
  ) {
    this.added = new Listeners(onListenerError);
  }

  /** A C2D message reached a final state; records feedback when its `iothub-ack` asks for this status. */
  record(message: C2dMessage, status: FeedbackStatus): void {
    const ack = (message.properties[ACK_PROPERTY] ?? 'none').toLowerCase();
    const wanted = ack === 'full' || (ack === 'positive' && status === 'Success') || (ack === 'negative' && status !== 'Success');
    if (!wanted) return;
    this.pending.push({
      originalMessageId: message.systemProperties.mid ?? '',
      enqueuedTimeUtc: new Date(this.clock.now()).toISOString(),
      statusCode: status,
      description: status === 'Success' ? 'Success' : status === 'Rejected' ? 'Message rejected' : status,
      deviceId: message.deviceId,
      deviceGenerationId: '',
    });
    if (this.pending.length > MAX_PENDING_FEEDBACK) this.pending.splice(0, this.pending.length - MAX_PENDING_FEEDBACK);
    this.added.emit();
  }

  /** The records waiting, oldest first (at most `max`), as one feedback batch with its own id. */
  peek(max = 100): { batchId: string; records: FeedbackRecord[] } | undefined {
    if (this.pending.length === 0) return undefined;
    return { batchId: randomUUID(), records: this.pending.slice(0, max) };
  }

  /** A receiver accepted a batch: its records are gone. */
  remove(records: readonly FeedbackRecord[]): void {
    for (const r of records) {
      const i = this.pending.indexOf(r);
      if (i >= 0) this.pending.splice(i, 1);
    }
  }
}
