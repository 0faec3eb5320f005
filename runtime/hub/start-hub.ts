import { silentLogger } from '../log/create-logger.js';
import { DEFAULT_MQTTS_PORT } from './connection-string.js';
import { createHub } from './create-hub.js';
import type { Hub } from './hub-types.js';
import type { StartHubOptions } from './hub-options.js';
import { ensureTlsMaterial } from './tls-material.js';
import { createTlsListener, listenAll } from './transport.js';

export type { ConnectionEvent, ConnectionInfo, Hub, HubCore, HubConnections, InputMessage, InputsSubscribedEvent, MethodInvocation, MethodResult, ModuleRef } from './hub-types.js';
export type { StartHubOptions } from './hub-options.js';
export { MAX_MESSAGE_BYTES } from './mqtt/broker.js';

/**
 * The hub on MQTT over TLS (port 8883 by default, as IoT Hub): TLS material in the state dir,
 * then `createHub`, then the listeners — so everything passed in (routing included) is wired
 * before the first client connects. Resolves once it listens.
 */
export async function startHub(options: StartHubOptions): Promise<Hub> {
  const logger = (options.logger ?? silentLogger()).child({ component: 'hub' });
  const hostNames = options.hostNames && options.hostNames.length > 0 ? [...options.hostNames] : ['localhost'];
  const material = await ensureTlsMaterial(options.stateDir, [...hostNames, ...(options.extraSubjectAltNames ?? [])]);
  const core = await createHub({ ...options, hostNames });
  const hosts = options.bindAddresses && options.bindAddresses.length > 0 ? options.bindAddresses : [options.bindAddress ?? '0.0.0.0'];
  let port: number;
  try {
    const served = () => {
      const server = createTlsListener(material);
      core.serve(server);
      return server;
    };
    port = (await listenAll(served, options.mqttsPort ?? DEFAULT_MQTTS_PORT, hosts)).port;
  } catch (error) {
    await core.close();
    throw error;
  }
  logger.info({ mqttsPort: port, hostName: core.hostName, hosts }, 'hub listening (MQTT over TLS)');
  return Object.assign(core, { mqttsPort: port, caFile: material.caFile, caCert: material.caCert });
}
