import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realNodeSubjectAltNames } from '../../../runtime/server/start-server.js';
import { AZURE_STACK_EDGE_LAYOUT } from '../../../runtime/translate/index.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

/**
 * In the azure-stack-edge layout the hub certificate is valid for the names a client of the
 * `edgehub` Service in namespace `iotedge` sends (docs/azure-stack-edge.md): a TLS client that
 * verifies the certificate against the hub CA, as the device SDKs do, completes the handshake on
 * the MQTT port for each of them, and not for a name of the default layout.
 */

let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({ extraSubjectAltNames: realNodeSubjectAltNames('10.254.0.1', 'cluster.local', ['edge-1'], AZURE_STACK_EDGE_LAYOUT) });
});
afterAll(async () => {
  await t?.close();
});

const handshake = (servername: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: t.hub.mqttsPort, ca: t.hub.caCert, servername }, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });

describe('the hub certificate in the azure-stack-edge layout', () => {
  it.each(['edgehub', 'edgehub.iotedge', 'edgehub.iotedge.svc', 'edgehub.iotedge.svc.cluster.local'])('is valid for %s', async (name) => {
    await expect(handshake(name)).resolves.toBeUndefined();
  });

  it('is not valid for the default layout’s namespace', async () => {
    await expect(handshake('edgehub.edgemu-edge-1.svc')).rejects.toThrow(/Hostname\/IP does not match certificate's altnames/);
  });
});
