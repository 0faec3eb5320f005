/**
 * Devices for the hub benchmarks, written to a state dir's store before the hub starts: each as the
 * load generator's client (bench/mqtt-load.ts) with a SAS token valid for two hours and the three
 * filters an SDK device subscribes (twin responses, direct methods, C2D).
 */
import type { LoadClient } from './mqtt-load.js';

export async function makeDevices(stateDir: string, names: string[]): Promise<Map<string, LoadClient>> {
  const { openHubStore } = await import('../runtime/hub/store/hub-store.js');
  const { createSasToken } = await import('../runtime/hub/sas.js');
  const store = openHubStore({ stateDir });
  const exp = Math.floor(Date.now() / 1000) + 7200;
  const out = new Map<string, LoadClient>();
  store.transaction(() => {
    for (const deviceId of names) {
      const id = store.identities.createDevice(deviceId);
      out.set(deviceId, {
        clientId: deviceId,
        username: `localhost/${deviceId}/?api-version=2021-04-12`,
        password: createSasToken(`localhost/devices/${deviceId}`, id.primaryKey, exp),
        topic: `devices/${deviceId}/messages/events/`,
        subscribe: ['$iothub/twin/res/#', '$iothub/methods/POST/#', `devices/${deviceId}/messages/devicebound/#`],
      });
    }
  });
  store.close();
  return out;
}
