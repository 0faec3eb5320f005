/**
 * A raw MQTT.js connection to a test hub (no Azure SDK): IoT Hub's username form, MQTT 3.1.1,
 * no reconnect. Tests that probe the protocol itself (raw topics, hand-made SAS tokens) use it.
 */
import mqtt, { type MqttClient } from 'mqtt';

export interface RawConnectOptions {
  /** The SAS token. */
  password: string;
  /** Default `localhost:<port>/<clientId>/?api-version=2021-04-12`. */
  username?: string;
  /** Default false (a persistent session, as the SDKs ask for). */
  clean?: boolean;
}

/** Connects `clientId`; resolves on CONNACK 0, rejects with MQTT.js's error (its `code` is the CONNACK code). `track` collects the client for cleanup. */
export function rawConnect(hub: { mqttsPort: number; caCert: string }, clientId: string, o: RawConnectOptions, track?: MqttClient[]): Promise<MqttClient> {
  const client = mqtt.connect(`mqtts://localhost:${hub.mqttsPort}`, {
    ca: hub.caCert,
    clientId,
    username: o.username ?? `localhost:${hub.mqttsPort}/${clientId}/?api-version=2021-04-12`,
    password: o.password,
    protocolVersion: 4,
    clean: o.clean ?? false,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  track?.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (e) => reject(e));
  });
}
