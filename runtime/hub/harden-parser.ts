import type { Client } from 'aedes';
import type { Logger } from '../log/create-logger.js';

/** IoT Hub's maximum device-to-cloud message size (edgeHub `MaxInboundMessageSize` 262144). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Largest MQTT packet read at all: the message limit plus room for topic and property bag. */
const MAX_PACKET_BYTES = MAX_MESSAGE_BYTES + 64 * 1024;

interface MqttParser {
  _parseLength: () => boolean;
  packet: { length: number };
  _emitError: (e: Error) => void;
  prependListener(event: 'packet', listener: (packet: { cmd: string; subscriptions?: Array<{ qos: number }> }) => void): void;
}

/**
 * Two rules applied where aedes parses packets, before it acts on them:
 * - aedes reads packets of any announced length into memory; a connection is closed as soon
 *   as a packet announces more than the hub would ever accept, before its body is buffered;
 * - IoT Hub grants at most QoS 1 to a QoS 2 SUBSCRIBE (docs/iot-hub-protocol.md "QoS, retain and sessions"); aedes grants
 *   what was asked, so the requested QoS is lowered as the packet arrives.
 */
export function hardenParser(client: Client, logger: Logger): void {
  const parser = (client as unknown as { _parser?: MqttParser })._parser;
  if (!parser || typeof parser._parseLength !== 'function') return;
  parser.prependListener('packet', (packet) => {
    if (packet.cmd === 'subscribe') for (const s of packet.subscriptions ?? []) if (s.qos > 1) s.qos = 1;
  });
  const original = parser._parseLength;
  parser._parseLength = function guarded(this: typeof parser) {
    const ok = original.call(this);
    if (ok && this!.packet.length > MAX_PACKET_BYTES) {
      logger.info({ bytes: this!.packet.length }, 'MQTT packet larger than the hub accepts; closing the connection');
      this!._emitError(new Error('packet too large'));
      return false;
    }
    return ok;
  };
}
