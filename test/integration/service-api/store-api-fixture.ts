// A service API over a real hub store in a temp state dir, on an ephemeral port, with a
// per-run CA (selfsigned) — for tests of the HTTP layer, registry, twins and manifests that
// need no connected device. Method tests use the full hub (see the hub helper).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import selfsigned from 'selfsigned';
import { openHubStore, type HubStore } from '../../../runtime/hub/index.js';
import { startServiceApi, type ServiceApi, type ServiceApiLimits } from '../../../runtime/service-api/start-service-api.js';
import { createHandlers } from '../../../runtime/service-api/create-handlers.js';
import type { ServiceBackend } from '../../../runtime/service-api/service-backend.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { systemClock } from '../../../runtime/clock.js';

export interface StoreApiFixture {
  store: HubStore;
  api: ServiceApi;
  port: number;
  ca: string;
  stateDir: string;
  connectionString: string;
  policyKey: string;
  close(): Promise<void>;
}

async function makeCerts(): Promise<{ ca: string; key: string; cert: string }> {
  const notAfterDate = new Date(Date.now() + 24 * 3600 * 1000);
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'edgemu-test-ca' }], {
    algorithm: 'sha256',
    keyType: 'ec',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  } as never);
  const srv = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    algorithm: 'sha256',
    keyType: 'ec',
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  } as never);
  return { ca: ca.cert, key: srv.private, cert: srv.cert };
}

export async function startStoreApi(
  options: { limits?: Partial<ServiceApiLimits>; backend?: Partial<ServiceBackend>; maxStreams?: number; port?: number } = {},
): Promise<StoreApiFixture> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-service-api-'));
  const store = openHubStore({ stateDir });
  const certs = await makeCerts();
  const backend: ServiceBackend = {
    store,
    isConnected: () => false,
    invokeMethod: () => Promise.reject(Object.assign(new Error('not connected'), { status: 404 })),
    ...options.backend,
  };
  const policy = store.identities.servicePolicy();
  let api: ServiceApi;
  try {
    api = await startServiceApi({
      tls: { key: certs.key, cert: certs.cert },
      port: options.port ?? 0,
      host: '127.0.0.1',
      hostNames: ['localhost', '127.0.0.1'],
      policyKey: (name) => (name === policy.name ? policy.primaryKey : undefined),
      handlers: createHandlers(backend, options.maxStreams === undefined ? {} : { maxStreams: options.maxStreams }),
      logger: silentLogger(),
      clock: systemClock,
      ...(options.limits ? { limits: options.limits } : {}),
    });
  } catch (error) {
    store.close();
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  return {
    store,
    api,
    port: api.port,
    ca: certs.ca,
    stateDir,
    policyKey: policy.primaryKey,
    connectionString: `HostName=localhost:${api.port};SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.primaryKey}`,
    async close() {
      await api.close();
      store.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
