import type { IdentityRef } from './identity-id.js';
import type { InputMessage } from './hub-types.js';
import type { C2dMessage } from './store/c2d-queue.js';

/**
 * How a device settled a cloud-to-device message (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-c2d
 * "The cloud-to-device message life cycle"): completed, or rejected (dead-lettered). An abandoned
 * message is a rejected promise: it stays queued. MQTT has only PUBACK = completed.
 */
export type C2dOutcome = 'completed' | 'rejected';

/** What a connected client has asked to receive (a granted subscription in MQTT). */
export type Listening = 'desired' | 'c2d' | 'methods' | 'inputs';

/**
 * One authenticated client connection as the protocol-neutral parts of the hub see it (the
 * connection table, the handlers). A protocol head implements it — `mqtt/mqtt-session.ts`
 * today; an AMQP head would add its own — and decides how each answer looks on its wire.
 */
export interface Session {
  readonly clientId: string;
  readonly identity: IdentityRef;
  /** Epoch ms when the SAS token the client connected with expires. */
  readonly expiresAtMs: number;
  /** Set by the connection table when the session goes live. */
  connectedTimeUtc: string | undefined;
  /** C2D sequence numbers sent on this session and not yet acknowledged. */
  readonly c2dInflight: Set<number>;
  listens(what: Listening): boolean;
  /**
   * Answer to a twin request (GET, reported PATCH); `version` is the new reported version after
   * a PATCH. Resolves once the connection took the answer (never rejects: a connection that
   * cannot take it is closed), so the next request can wait for a slow reader.
   */
  twinResponse(rid: string, status: number, body: string, version?: number): Promise<void>;
  /** A desired-properties patch (already holding `$version`). */
  desiredPatch(version: number, body: string): void;
  /** A direct method request. */
  methodRequest(methodName: string, rid: string, body: string): void;
  /** A cloud-to-device message, at least once; resolves on the client's acknowledgement (nothing = completed). */
  c2d(message: C2dMessage): Promise<C2dOutcome | void>;
  /** A module input message, at least once; resolves on the module's acknowledgement. */
  input(inputName: string, message: InputMessage): Promise<void>;
  /** Closes the connection (the head reports the disconnect to the connection table). */
  close(): void;
}
