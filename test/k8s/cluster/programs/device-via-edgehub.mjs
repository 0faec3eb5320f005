// A leaf device with the Azure IoT device SDK (azure-iot-device + azure-iot-device-mqtt) that
// reaches its hub through the gateway host name `edgehub`, as a device next to an Azure Stack Edge
// does: the SDK dials mqtts://<GatewayHostName>:8883 and verifies the hub certificate for that
// name against the CA it is given. The caller runs it where `edgehub` resolves to the Service's
// external IP (its own mount namespace with an /etc/hosts line). Prints one JSON line.
// usage: node device-via-edgehub.mjs CONNECTION_STRING CA_FILE
import { readFileSync } from 'node:fs';
import device from 'azure-iot-device';
import deviceMqtt from 'azure-iot-device-mqtt';

const [connectionString, caFile] = process.argv.slice(2);
const client = device.Client.fromConnectionString(connectionString, deviceMqtt.Mqtt);
client.setOptions({ ca: readFileSync(caFile, 'utf8') });
try {
  await client.open();
  await client.sendEvent(new device.Message(JSON.stringify({ via: 'edgehub' })));
  process.stdout.write(`${JSON.stringify({ sent: true })}\n`);
  await client.close();
} catch (error) {
  process.stdout.write(`${JSON.stringify({ sent: false, error: String(error?.message ?? error) })}\n`);
  process.exitCode = 1;
}
