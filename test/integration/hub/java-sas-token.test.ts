import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { rawConnect } from '../../helpers/raw-mqtt.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

/*
 * The Java device SDK (Azure/azure-iot-sdk-java iot-device-client auth/IotHubSasToken.java) builds
 * `SharedAccessSignature sr=<host>/devices/<id>&sig=<urlenc base64 HMAC>&se=<expiry>` with `sr`
 * NOT URL-encoded and signs that raw text (`<host>/devices/<id>\n<expiry>`). IoT Hub accepts
 * such a token (learn.microsoft.com/azure/iot-hub/iot-hub-dev-guide-sas). Signed here the Java
 * way with node:crypto, independently of the hub's own SAS code, and presented with MQTT.js.
 */
let t: TestHub;
const open: MqttClient[] = [];

beforeAll(async () => {
  t = await startTestHub();
  t.createDevice('java-dev');
  t.createModule('java-dev', 'java-mod');
});
afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.endAsync(true)));
  await t?.close();
});

const expiry = () => Math.floor(Date.now() / 1000) + 3600;
function javaSasToken(resourceUri: string, base64Key: string, se: number): string {
  const sig = createHmac('sha256', Buffer.from(base64Key, 'base64')).update(`${resourceUri}\n${se}`).digest('base64');
  return `SharedAccessSignature sr=${resourceUri}&sig=${encodeURIComponent(sig)}&se=${se}`;
}

const connect = (clientId: string, password: string) => rawConnect(t.hub, clientId, { password, clean: true }, open);

const keyOf = (deviceId: string, moduleId?: string) => t.hub.store.identities.get(moduleId ? { deviceId, moduleId } : { deviceId })!.primaryKey;

describe('a SAS token signed the Java SDK way (raw sr)', () => {
  it('connects a device and serves its twin', async () => {
    const token = javaSasToken('localhost/devices/java-dev', keyOf('java-dev'), expiry());
    expect(token).toContain('sr=localhost/devices/java-dev&');
    const client = await connect('java-dev', token);
    const twin = new Promise<string>((resolve) => client.on('message', (topic, payload) => topic.startsWith('$iothub/twin/res/200/') && resolve(payload.toString())));
    await client.subscribeAsync('$iothub/twin/res/#');
    await client.publishAsync('$iothub/twin/GET/?$rid=java1', ' ');
    expect(JSON.parse(await twin)).toMatchObject({ desired: { $version: 1 } });
    await client.endAsync();
  });

  it('connects a module, with the port in sr as the Java SDK writes it for a gateway', async () => {
    const token = javaSasToken(`localhost:${t.hub.mqttsPort}/devices/java-dev/modules/java-mod`, keyOf('java-dev', 'java-mod'), expiry());
    const client = await connect('java-dev/java-mod', token);
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it('refuses a raw-sr token signed with another key with CONNACK 5', async () => {
    const token = javaSasToken('localhost/devices/java-dev', keyOf('java-dev', 'java-mod'), expiry());
    await expect(connect('java-dev', token)).rejects.toSatisfy((e) => (e as { code?: number }).code === 5);
  });

  it('refuses a raw-sr token for another identity with CONNACK 5', async () => {
    const token = javaSasToken('localhost/devices/java-dev/modules/java-mod', keyOf('java-dev', 'java-mod'), expiry());
    await expect(connect('java-dev', token)).rejects.toSatisfy((e) => (e as { code?: number }).code === 5);
  });
});
