/**
 * A rhea client connection to the hub's AMQP port over TLS, authorized by one CBS put-token
 * (learn.microsoft.com/azure/iot-hub/iot-hub-amqp-support, "Claims-based security"), for the AMQP
 * benchmarks. Rejects when the hub refuses the token.
 */
import rhea, { type Connection, type EventContext } from 'rhea';
import { encodeUriComponentStrict, signSasText } from '../runtime/hub/sas.js';

export async function cbsConnection(o: { port: number; ca: string; audience: string; token: string }): Promise<Connection> {
  const connection = rhea.create_container().connect({ host: '127.0.0.1', port: o.port, transport: 'tls', ca: o.ca, servername: 'localhost', reconnect: false } as never);
  connection.on('disconnected', () => {}); // the hub closes sockets at the end
  await new Promise<void>((resolve, reject) => {
    connection.open_receiver('$cbs').on('message', (c: EventContext) => {
      const status = c.message?.application_properties?.['status-code'] as number;
      if (status === 200) resolve();
      else reject(new Error(`put-token refused: ${String(c.message?.application_properties?.['status-description'])}`));
    });
    const s = connection.open_sender('$cbs');
    s.once('sendable', () => s.send({ message_id: 'p', reply_to: 'cbs', application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: o.audience }, body: o.token }));
  });
  return connection;
}

/**
 * A service-policy token for the Event Hubs-compatible endpoint's `sb://localhost/<entity>`
 * audience; Event Hubs clients sign sb:// audiences with the key's text (runtime/hub/sas.ts).
 */
export function eventHubsToken(policy: { name: string; primaryKey: string }, entity: string, expiry: number): { audience: string; token: string } {
  const audience = `sb://localhost/${entity}`;
  const encoded = encodeUriComponentStrict(audience);
  return { audience, token: `SharedAccessSignature sr=${encoded}&sig=${encodeUriComponentStrict(signSasText(encoded, policy.primaryKey, expiry, 'utf8'))}&se=${expiry}&skn=${policy.name}` };
}
