import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ModuleIdentity, TranslateContext } from './translate-deployment.js';
import type { HubEndpoint } from './edgehub-service.js';
import type { Layout } from './layout.js';
import { TranslateError } from './translate-error.js';

/**
 * The I/O edge of `edgemu translate`: builds a {@link TranslateContext} from a state dir
 * without changing it. Where each input comes from, in order:
 * - hub host name: `--hub-host-name`, else the running or last-started hub of the state dir, else `localhost`;
 * - gateway: `--gateway-host host[:port]` (the hub's MQTTS port is appended when none is given and it is
 *   not 8883), else the first non-loopback name the running hub's certificate carries (`edgemu hub
 *   --host …`), else the hub host name — which pods cannot reach when it is `localhost` (noted). A
 *   gateway the running hub's certificate does not name is noted too (modules would fail TLS);
 * - module keys: the hub's identity registry when `DIR/hub.db` exists, through `openHub` (the CLI
 *   passes `openHubAdmin`: the service API when a hub runs, else the store offline; read only,
 *   nothing is created); modules without an identity get a placeholder Secret (translateDeployment warns);
 * - CA: `--ca FILE`, else `DIR/ca.pem` when it exists, else a placeholder (translateDeployment warns);
 * - the `edgehub` Service's endpoint: `--hub-ip A` with the hub's MQTTS port and, when the running
 *   hub serves them, its HTTPS and AMQPS ports; without it no `edgehub` Service (noted for a layout
 *   whose modules expect one, azure-stack-edge).
 */
/** What the translation needs of a state dir's hub (service-api `HubAdmin` provides it). */
export interface HubLookup {
  address(): Promise<{ hostName: string; mqttsPort: number }>;
  getIdentity(ref: { deviceId: string; moduleId?: string }): Promise<{ primaryKey: string; generationId: string } | undefined>;
  close(): void;
}

export interface ContextFromStateOptions {
  stateDir: string;
  /** Opens the hub of `stateDir`; called only when it has a hub store (`DIR/hub.db`). */
  openHub: (stateDir: string) => HubLookup;
  deviceId: string;
  /** Module names whose identities to look up. */
  moduleNames: readonly string[];
  gatewayHost?: string | undefined;
  hubHostName?: string | undefined;
  caFile?: string | undefined;
  logLevel?: string | undefined;
  storage?: TranslateContext['storage'];
  /** The layout (passed through to the context). */
  layout?: Layout | undefined;
  /** IPv4 address pods reach the hub on: the device gets an `edgehub` Service pointing there. */
  hubIp?: string | undefined;
}

export interface ContextFromState {
  context: TranslateContext;
  /** Where things came from, and what is missing, for the user (stderr). */
  notes: string[];
}

const DEFAULT_MQTTS_PORT = 8883;
const MAX_CA_BYTES = 1024 * 1024;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Reads hub address, identities and CA of a state dir (the hub store is opened only if it exists). */
export async function translateContextFromState(options: ContextFromStateOptions): Promise<ContextFromState> {
  const notes: string[] = [];
  let hostName = 'localhost';
  let mqttsPort = DEFAULT_MQTTS_PORT;
  /** Host names of the running hub (its certificate names them, plus loopback); unknown when no hub runs. */
  let runningHostNames: string[] | undefined;
  // Filled with defineProperty semantics (Object.fromEntries below): a module named `__proto__` must not become the prototype.
  const found: [string, ModuleIdentity][] = [];
  const dbFile = path.join(options.stateDir, 'hub.db');
  let defaultGateway: string | undefined;
  let runningPorts: { https?: number | undefined; amqps?: number | undefined } = {};

  if (existsSync(dbFile)) {
    const { readDiscovery } = await import('../hub/index.js');
    const running = readDiscovery(options.stateDir);
    if (running !== undefined) {
      runningHostNames = running.hostNames.map(withoutPort);
      runningPorts = { https: running.httpsPort, amqps: running.amqpsPort };
    }
    let hub: HubLookup;
    try {
      hub = options.openHub(options.stateDir);
    } catch (error) {
      throw new TranslateError('TRANSLATE_INVALID_CONTEXT', `cannot read the hub store ${dbFile}: ${(error as Error).message}`, { stateDir: options.stateDir });
    }
    try {
      const address = await hub.address();
      hostName = address.hostName;
      mqttsPort = address.mqttsPort;
      if (options.gatewayHost === undefined && running !== undefined) {
        defaultGateway = running.hostNames.map(withoutPort).find((n) => !LOOPBACK.has(n));
      }
      if ((await hub.getIdentity({ deviceId: options.deviceId })) === undefined) {
        notes.push(`device ${options.deviceId} is not registered in the hub of ${options.stateDir}; create it with: edgemu identity create ${options.deviceId} --edge`);
      }
      for (const moduleId of options.moduleNames) {
        const identity = await hub.getIdentity({ deviceId: options.deviceId, moduleId });
        if (identity !== undefined) found.push([moduleId, { sharedAccessKey: identity.primaryKey, generationId: identity.generationId }]);
        else notes.push(`module identity ${options.deviceId}/${moduleId} does not exist yet; create it with: edgemu identity create ${options.deviceId} --module ${moduleId}`);
      }
    } finally {
      hub.close();
    }
  } else {
    notes.push(`no hub state in ${options.stateDir}: module connection strings hold placeholder keys (start a hub or pass --state-dir)`);
  }

  const iotHubHostName = options.hubHostName ?? hostName;
  let gatewayHostName: string;
  if (options.gatewayHost !== undefined) {
    gatewayHostName = hasPort(options.gatewayHost) || mqttsPort === DEFAULT_MQTTS_PORT ? options.gatewayHost : `${options.gatewayHost}:${mqttsPort}`;
  } else {
    const host = defaultGateway ?? iotHubHostName;
    gatewayHostName = mqttsPort === DEFAULT_MQTTS_PORT ? host : `${host}:${mqttsPort}`;
  }
  // With --hub-ip pods dial edgehub, never the gateway: the gateway notes do not apply (the edgehub ones below do).
  if (options.hubIp === undefined) notes.push(...gatewayNotes(gatewayHostName, runningHostNames));

  let hubCaPem: string | undefined;
  const caFile = options.caFile ?? path.join(options.stateDir, 'ca.pem');
  if (options.caFile !== undefined || existsSync(caFile)) {
    try {
      // A CA bundle is a few KB; refuse anything that cannot be one before reading it whole.
      if (statSync(caFile).size > MAX_CA_BYTES) throw new Error(`it is larger than ${MAX_CA_BYTES} bytes`);
      hubCaPem = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new TranslateError('TRANSLATE_INVALID_CONTEXT', `cannot read the hub CA ${caFile}: ${(error as Error).message}`, { caFile });
    }
    if (!hubCaPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new TranslateError('TRANSLATE_INVALID_CONTEXT', `${caFile} is not a PEM certificate`, { caFile });
    }
  }

  let hubEndpoint: HubEndpoint | undefined;
  if (options.hubIp !== undefined) {
    hubEndpoint = {
      ip: options.hubIp,
      ports: { mqtts: mqttsPort, ...(runningPorts.https !== undefined ? { https: runningPorts.https } : {}), ...(runningPorts.amqps !== undefined ? { amqps: runningPorts.amqps } : {}) },
    };
    if (runningHostNames !== undefined && !runningHostNames.includes('edgehub')) {
      notes.push(`the running hub's TLS certificate does not name edgehub, which modules dial with --hub-ip; start it with edgemu up on the local cluster's real node, or with --host ${[...runningHostNames, 'edgehub'].join(' ')}`);
    }
  } else if (options.layout !== undefined && options.layout.name !== 'default') {
    notes.push(`layout ${options.layout.name}: without --hub-ip (the host address pods reach the hub on) there is no edgehub Service, and modules dial ${gatewayHostName} instead`);
  }

  return {
    context: {
      deviceId: options.deviceId,
      iotHubHostName,
      gatewayHostName,
      hubCaPem,
      identities: Object.fromEntries(found),
      logLevel: options.logLevel,
      storage: options.storage,
      ...(options.layout !== undefined ? { layout: options.layout } : {}),
      ...(hubEndpoint !== undefined ? { hubEndpoint } : {}),
    },
    notes,
  };
}

/** What is wrong with a gateway pods would dial: not in the running hub's certificate, or loopback. */
function gatewayNotes(gatewayHostName: string, runningHostNames: readonly string[] | undefined): string[] {
  const notes: string[] = [];
  const gatewayHost = withoutPort(gatewayHostName);
  if (runningHostNames !== undefined && !LOOPBACK.has(gatewayHost) && !runningHostNames.includes(gatewayHost)) {
    notes.push(
      `the running hub's TLS certificate does not name ${gatewayHost}, so modules will refuse the connection; restart the hub with --host ${[...runningHostNames, gatewayHost].join(' ')}`,
    );
  }
  if (LOOPBACK.has(gatewayHost)) {
    notes.push(`gateway ${gatewayHostName} is the loopback address, which pods cannot reach; pass --gateway-host with an address of this machine that the cluster reaches (and that the hub certificate names)`);
  }
  return notes;
}

/** `host:1234` → `host`, `[::1]:1234` → `::1`; a bare IPv6 address stays as it is. */
const withoutPort = (host: string): string => {
  if (/^\[.*\](:\d+)?$/.test(host)) return host.replace(/^\[(.*)\](:\d+)?$/, '$1');
  return /^[^:]+:\d+$/.test(host) ? host.replace(/:\d+$/, '') : host;
};

/** `host:port`, `[v6]:port` — but not a bare IPv6 address. */
const hasPort = (host: string): boolean => /^\[.*\]:\d+$/.test(host) || /^[^:]+:\d+$/.test(host);
