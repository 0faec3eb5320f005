import type { Client } from 'aedes';
import { HubError } from '../errors.js';
import type { IdentityRef } from '../identity-id.js';
import type { InputMessage } from '../hub-types.js';
import { encodePropertyBag } from '../property-bag.js';
import type { Listening, Session } from '../session.js';
import type { C2dMessage } from '../store/c2d-queue.js';
import { hubTopics, isInputsFilter } from '../topics.js';
import { PacketIds } from '../connection-table.js';
import type { Broker } from './broker.js';

const FILTERS: Record<Exclude<Listening, 'inputs'>, (identity: IdentityRef) => string> = {
  desired: () => '$iothub/twin/PATCH/properties/desired/#',
  methods: () => '$iothub/methods/POST/#',
  c2d: (identity) => `devices/${identity.deviceId}/messages/devicebound/#`,
};

/**
 * A client connected over MQTT: its granted filters, its QoS 1 packet ids, and the IoT Hub
 * topics each hub→client operation is published on
 * (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub). Answers go QoS 0 to exactly
 * this connection whatever it subscribed to (the SDKs expect twin responses before their
 * SUBACK); C2D and input messages go QoS 1 and resolve on the PUBACK.
 */
export class MqttSession implements Session {
  readonly filters = new Set<string>();
  readonly packetIds = new PacketIds();
  readonly c2dInflight = new Set<number>();
  connectedTimeUtc: string | undefined;

  constructor(
    readonly client: Client,
    readonly identity: IdentityRef,
    readonly expiresAtMs: number,
    private readonly broker: Broker,
    /** Whether this session is still its client id's live one. */
    private readonly isLive: (session: MqttSession) => boolean,
  ) {}

  get clientId(): string {
    return this.client.id;
  }

  listens(what: Listening): boolean {
    if (what !== 'inputs') return this.filters.has(FILTERS[what](this.identity));
    for (const f of this.filters) if (isInputsFilter(this.identity, f)) return true;
    return false;
  }

  twinResponse(rid: string, status: number, body: string, version?: number): void {
    this.broker.sendQos0(this.client, hubTopics.twinResponse(status, rid, version), Buffer.from(body));
  }

  desiredPatch(version: number, body: string): void {
    this.broker.sendQos0(this.client, hubTopics.desiredPatch(version), Buffer.from(body));
  }

  methodRequest(methodName: string, rid: string, body: string): void {
    this.broker.sendQos0(this.client, hubTopics.methodRequest(methodName, rid), Buffer.from(body));
  }

  c2d(m: C2dMessage): Promise<void> {
    return this.sendQos1(hubTopics.c2d(m.deviceId, encodePropertyBag({ system: m.systemProperties, app: m.properties })), m.body);
  }

  input(inputName: string, message: InputMessage): Promise<void> {
    const bag = encodePropertyBag({ system: message.systemProperties ?? {}, app: message.properties ?? {} });
    return this.sendQos1(hubTopics.moduleInput(this.identity.deviceId, this.identity.moduleId!, inputName, bag), message.body);
  }

  close(): void {
    this.client.close();
  }

  /** The connection is gone: deliveries waiting for their PUBACK fail. */
  lost(): void {
    this.packetIds.failAll(new HubError('HUB_NOT_CONNECTED', `${this.clientId} disconnected before acknowledging`));
  }

  private sendQos1(topic: string, payload: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.client.closed || !this.isLive(this)) {
        reject(new HubError('HUB_NOT_CONNECTED', `${this.clientId} is not connected`));
        return;
      }
      if (this.packetIds.size >= PacketIds.LIMIT) {
        reject(new HubError('HUB_NOT_CONNECTED', `${this.clientId} has too many unacknowledged messages`));
        return;
      }
      const id = this.packetIds.allocate({ resolve, reject });
      this.broker.sendQos1(this.client, topic, payload, id, (error) => {
        if (error) this.packetIds.fail(id, new HubError('HUB_NOT_CONNECTED', `delivery to ${this.clientId} failed: ${error.message}`));
      });
    });
  }
}
