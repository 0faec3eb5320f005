/**
 * Azure IoT SDK clients over AMQP for hub tests: device and module clients from
 * azure-iot-device-amqp, trusting the hub's CA, dialing the hub's AMQP port.
 */
import deviceSdk, { type Client, type ModuleClient } from 'azure-iot-device';
import deviceAmqp from 'azure-iot-device-amqp';
import { formatDeviceConnectionString } from '../../runtime/hub/connection-string.js';
import type { IdentityRef } from '../../runtime/hub/identity-id.js';
import type { TestHub } from './hub.js';

/** `HostName=localhost:<amqps port>;…` for an identity of the test hub (created when missing). */
export function amqpConnectionString(t: TestHub, ref: IdentityRef, key?: string): string {
  if (ref.moduleId) t.createModule(ref.deviceId, ref.moduleId);
  else t.createDevice(ref.deviceId);
  const identity = t.hub.store.identities.get(ref)!;
  return formatDeviceConnectionString({ hostName: `localhost:${t.hub.amqpsPort!}`, deviceId: ref.deviceId, moduleId: ref.moduleId, key: key ?? identity.primaryKey });
}

/** An AMQP device Client, not yet opened. */
export async function amqpDeviceClient(t: TestHub, deviceId: string, key?: string): Promise<Client> {
  const client = deviceSdk.Client.fromConnectionString(amqpConnectionString(t, { deviceId }, key), deviceAmqp.Amqp);
  await client.setOptions({ ca: t.hub.caCert });
  return client;
}

/** An AMQP ModuleClient, not yet opened. */
export async function amqpModuleClient(t: TestHub, deviceId: string, moduleId: string): Promise<ModuleClient> {
  const client = deviceSdk.ModuleClient.fromConnectionString(amqpConnectionString(t, { deviceId, moduleId }), deviceAmqp.Amqp);
  await client.setOptions({ ca: t.hub.caCert });
  return client;
}
