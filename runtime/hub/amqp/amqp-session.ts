import rhea from 'rhea';
import { HubError } from '../errors.js';
import { clientIdOf, type IdentityRef } from '../identity-id.js';
import type { InputMessage } from '../hub-types.js';
import type { C2dOutcome, Listening, Session } from '../session.js';
import type { C2dMessage } from '../store/c2d-queue.js';
import { fromHubProperties } from './amqp-message.js';
import type { OutgoingLink } from './outgoing-link.js';

/** The hub→client links of one identity on a connection, set as the client attaches them. */
export interface IdentityLinks {
  twin?: OutgoingLink | undefined;
  methods?: OutgoingLink | undefined;
  c2d?: OutgoingLink | undefined;
  inputs?: OutgoingLink | undefined;
}

/**
 * One device or module authenticated on an AMQP connection through CBS (an AMQP connection
 * may carry several identities: learn.microsoft.com/azure/iot-hub/iot-hub-amqp-support
 * "connection multiplexing"). It answers on the identity's own links: twin responses and
 * desired patches on the twin receive link (`correlation-id` = the request's, `status` and
 * `version` annotations), method requests on the methods receive link (`IoThub-methodname`
 * application property, `correlation-id` = the request id), C2D on `/messages/devicebound`
 * (complete = accepted, reject = rejected, abandon = released), module inputs on the module's
 * events receive link with `x-opt-input-name`.
 */
export class AmqpSession implements Session {
  readonly c2dInflight = new Set<number>();
  readonly links: IdentityLinks = {};
  connectedTimeUtc: string | undefined;
  /** The client asked for desired-property notifications (twin PUT `/notifications/twin/properties/desired`). */
  desiredEnabled = false;
  /** Correlation ids of twin requests as the client sent them (string or UUID), by request id. */
  readonly twinCorrelation = new Map<string, unknown>();

  constructor(
    readonly identity: IdentityRef,
    private expiry: number,
    private readonly closeConnection: (reason: string) => void,
  ) {}

  get clientId(): string {
    return clientIdOf(this.identity);
  }

  /** Renewed by a later put-token; the connection table re-arms its timer from it. */
  get expiresAtMs(): number {
    return this.expiry;
  }

  renew(expiresAtMs: number): void {
    this.expiry = expiresAtMs;
  }

  listens(what: Listening): boolean {
    switch (what) {
      case 'desired':
        return this.desiredEnabled && this.links.twin?.isOpen === true;
      case 'methods':
        return this.links.methods?.isOpen === true;
      case 'c2d':
        return this.links.c2d?.isOpen === true;
      case 'inputs':
        return this.links.inputs?.isOpen === true;
    }
  }

  /**
   * Resolves once the answer is queued: AMQP's own flow control (the receiver's link credit, and
   * the outgoing link's bounded queue) is the back-pressure here, where MQTT waits for the write.
   */
  twinResponse(rid: string, status: number, body: string, version?: number): Promise<void> {
    const correlation = this.twinCorrelation.get(rid) ?? rid;
    this.twinCorrelation.delete(rid);
    const annotations: Record<string, unknown> = { status };
    if (version !== undefined) annotations.version = rhea.types.wrap_long(version);
    this.links.twin?.post({ correlation_id: correlation, message_annotations: annotations, body: rhea.message.data_section(Buffer.from(body)) });
    return Promise.resolve();
  }

  desiredPatch(version: number, body: string): void {
    this.links.twin?.post({ message_annotations: { version: rhea.types.wrap_long(version) }, body: rhea.message.data_section(Buffer.from(body)) });
  }

  methodRequest(methodName: string, rid: string, body: string): void {
    this.links.methods?.post({ correlation_id: rid, application_properties: { 'IoThub-methodname': methodName }, body: rhea.message.data_section(Buffer.from(body)) });
  }

  async c2d(m: C2dMessage): Promise<C2dOutcome> {
    const link = this.links.c2d;
    if (!link?.isOpen) throw new HubError('HUB_NOT_CONNECTED', `${this.clientId} has no open cloud-to-device link`);
    const outcome = await link.deliver(fromHubProperties(m, { deliveryCount: m.deliveryCount }));
    if (outcome === 'accepted') return 'completed';
    if (outcome === 'rejected') return 'rejected';
    throw new HubError('HUB_NOT_CONNECTED', `${this.clientId} abandoned the message`, { details: { abandoned: true } });
  }

  async input(inputName: string, message: InputMessage): Promise<void> {
    const link = this.links.inputs;
    if (!link?.isOpen) throw new HubError('HUB_NOT_CONNECTED', `${this.clientId} has no open input link`);
    const outcome = await link.deliver(fromHubProperties(message, { annotations: { 'x-opt-input-name': inputName } }));
    if (outcome !== 'accepted') throw new HubError('HUB_NOT_CONNECTED', `${this.clientId} did not accept the input message (${outcome})`);
  }

  close(): void {
    this.closeConnection(`${this.clientId}: connection closed by the hub`);
  }
}
