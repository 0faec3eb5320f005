import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

/**
 * The hub's listeners: one TLS server per listen address, all on one port (a later bridge
 * address is one more entry), and a server certificate that names extra SANs (names or IPs).
 */

let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({ bindAddresses: ['127.0.0.1', '127.0.0.2'], extraSubjectAltNames: ['bridge.edgemu.test', '10.254.0.1'] });
});
afterAll(async () => {
  await t?.close();
});

const handshake = (host: string): Promise<tls.PeerCertificate> =>
  new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port: t.hub.mqttsPort, ca: t.hub.caCert, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
    socket.once('error', reject);
  });

describe('the hub transport', () => {
  it('listens on every given address with the same port and the hub certificate', async () => {
    for (const host of ['127.0.0.1', '127.0.0.2']) expect((await handshake(host)).subject.CN).toBeDefined();
  });

  it('puts the extra names and IP addresses into the server certificate', async () => {
    const cert = await handshake('127.0.0.1');
    const x509 = new X509Certificate(cert.raw);
    expect(x509.subjectAltName).toContain('DNS:bridge.edgemu.test');
    expect(x509.subjectAltName).toContain('IP Address:10.254.0.1');
  });
});
