import type { Clock } from '../../clock.js';
import type { C2dFeedback } from '../c2d-feedback.js';
import type { Logger } from '../../log/create-logger.js';
import type { ConnectionTable } from '../connection-table.js';
import type { MessageRouter } from '../message-router.js';
import type { MethodCalls } from '../method-calls.js';
import type { HubStore } from '../store/hub-store.js';
import type { HubThrottles } from '../limits/hub-limits.js';

/** What the protocol-neutral handlers work with; one per hub. */
export interface HandlerContext {
  readonly store: HubStore;
  readonly router: MessageRouter;
  readonly methods: MethodCalls;
  readonly connections: ConnectionTable;
  /** C2D delivery feedback for services that ask for it (read over AMQP). */
  readonly feedback?: C2dFeedback | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Per-identity rate limits (docs/hub.md "Limits"). */
  readonly throttles: HubThrottles;
}

/**
 * A request a client sent, as any protocol head decodes it (MQTT topics and property bags are
 * parsed in the MQTT head; an AMQP head would build the same requests from its links).
 */
export type ClientRequest =
  | { op: 'twin-get'; rid: string }
  | { op: 'reported-patch'; rid: string; body: Buffer }
  | { op: 'method-response'; rid: string; status: number; body: Buffer }
  | { op: 'telemetry'; body: Buffer; systemProperties: Record<string, string>; properties: Record<string, string> };
