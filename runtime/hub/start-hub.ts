import { silentLogger } from '../log/create-logger.js';
import { HubError } from './errors.js';
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
 * The hub on MQTT over TLS (port 8883 by default, as IoT Hub) and, with `amqpsPort`, AMQP over
 * TLS (IoT Hub: 5671): TLS material in the state dir,
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
  let amqpsPort: number | undefined;
  if (options.amqpsPort !== undefined) {
    try {
      const served = () => {
        const server = createTlsListener(material);
        // TLS handshake guard (handshake timeout, concurrent-handshake cap): apply it to `server` here.
        core.serveAmqp(server);
        return server;
      };
      amqpsPort = (await listenAll(served, options.amqpsPort, hosts)).port;
    } catch (error) {
      await core.close();
      const cause = error instanceof Error && error.cause instanceof Error ? (error.cause as NodeJS.ErrnoException) : undefined;
      const hint = cause?.code === 'EADDRINUSE' ? ' (the port is in use; choose another with --amqps-port, 0 = any free port)' : '';
      throw new HubError('HUB_LISTEN', `cannot listen on AMQP port ${options.amqpsPort}: ${cause?.code ?? (error as Error).message}${hint}`, { cause: error });
    }
  }
  logger.info({ mqttsPort: port, amqpsPort, hostName: core.hostName, hosts }, amqpsPort === undefined ? 'hub listening (MQTT over TLS)' : 'hub listening (MQTT and AMQP over TLS)');
  return Object.assign(core, { mqttsPort: port, amqpsPort, caFile: material.caFile, caCert: material.caCert });
}
