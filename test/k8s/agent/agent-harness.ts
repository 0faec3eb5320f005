import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { EdgeAgent, type EdgeAgentOptions } from '../../../runtime/agent/edge-agent.js';
import { ClientNodeKubeApi } from '../../../runtime/agent/kubernetes/client-node-kube-api.js';
import type { ConfigSource, DesiredDocument, Reporter } from '../../../runtime/agent/ports.js';
import { applyReportedPatch, type JsonObject } from '../../../runtime/agent/reported-state.js';
import { systemClock } from '../../../runtime/clock.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { validateEdgeAgentDesired } from '../../../runtime/manifest/index.js';
import { deviceNamespace } from '../../../runtime/translate/labels.js';

/**
 * An in-memory `$edgeAgent` twin (desired + reported) for Kubernetes-side agent tests; the hub
 * side (real MQTT twin) is covered by the hub-config-source tests.
 */
export class MemoryTwin implements ConfigSource, Reporter {
  version = 1;
  desired: Record<string, unknown>;
  reported: JsonObject = {};
  patches: JsonObject[] = [];
  private listeners = new Set<(reason: string) => void>();
  constructor(desired: Record<string, unknown>) {
    this.desired = desired;
  }
  async getDesired(): Promise<DesiredDocument> {
    return { version: this.version, desired: structuredClone(this.desired) };
  }
  onChange(listener: (reason: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  setDesired(desired: Record<string, unknown>): void {
    this.desired = desired;
    this.version += 1;
    for (const l of this.listeners) l('desired patch');
  }
  async readReported(): Promise<JsonObject | undefined> {
    return structuredClone(this.reported);
  }
  async report(patch: JsonObject): Promise<void> {
    this.patches.push(patch);
    this.reported = applyReportedPatch(this.reported, patch);
  }
  module(name: string): JsonObject | undefined {
    return (this.reported.modules as JsonObject | undefined)?.[name] as JsonObject | undefined;
  }
}

/** The `$edgeAgent` desired section of an example manifest in deployments/examples. */
export function exampleAgentDesired(file = 'temperature-filter.deployment.json'): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(new URL(`../../../deployments/examples/${file}`, import.meta.url), 'utf8'));
  return manifest.modulesContent.$edgeAgent['properties.desired'];
}

/** A desired section with N simple modules (startupOrder by index group if asked). */
export function syntheticDesired(modules: Record<string, Partial<{ image: string; version: string; status: string; restartPolicy: string; startupOrder: number; createOptions: string }>>): Record<string, unknown> {
  const base = exampleAgentDesired();
  return {
    ...base,
    modules: Object.fromEntries(
      Object.entries(modules).map(([name, m]) => [
        name,
        {
          version: m.version ?? '1.0',
          type: 'docker',
          status: m.status ?? 'running',
          restartPolicy: m.restartPolicy ?? 'always',
          ...(m.startupOrder !== undefined ? { startupOrder: m.startupOrder } : {}),
          settings: { image: m.image ?? `example/${name.toLowerCase()}:1.0`, createOptions: m.createOptions ?? '{}' },
        },
      ]),
    ),
  };
}

export const uniqueDevice = (prefix: string): string => `${prefix}-${randomBytes(3).toString('hex')}`;

/**
 * An edge agent on a MemoryTwin, with the agent's production timings unless overridden (the
 * benchmark uses it as is; tests go through `startAgent`).
 */
export function memoryTwinAgent(kc: KubeConfig, deviceId: string, twin: MemoryTwin, over: Partial<EdgeAgentOptions> = {}): EdgeAgent {
  return new EdgeAgent({
    deviceId,
    configSource: twin,
    reporter: twin,
    validate: validateEdgeAgentDesired,
    kube: new ClientNodeKubeApi(kc),
    translateContext: () => ({ deviceId, iotHubHostName: 'edgemu.local', gatewayHostName: 'edgemu.local', hubCaPem: 'test-ca', identities: {} }),
    clock: systemClock,
    logger: silentLogger(),
    ...over,
  });
}

/** A started agent with test timings (1 s resync, 10 s ready timeout, short error back-off). */
export function startAgent(kc: KubeConfig, deviceId: string, twin: MemoryTwin, over: Partial<EdgeAgentOptions> = {}): EdgeAgent {
  const agent = memoryTwinAgent(kc, deviceId, twin, { resyncMs: 1_000, readyTimeoutMs: 10_000, errorBackoffBaseMs: 200, errorBackoffMaxMs: 1_000, ...over });
  agent.start();
  return agent;
}

export async function deleteDeviceNamespace(kc: KubeConfig, deviceId: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: deviceNamespace(deviceId) }).catch(() => undefined);
}

/**
 * Long-running requests (watches) the API server holds open now, by resource
 * (`apiserver_longrunning_requests{verb="WATCH"}`, kubernetes.io/docs/reference/instrumentation/metrics/).
 */
export async function apiServerWatches(kc: KubeConfig): Promise<Record<string, number>> {
  const server = new URL(kc.getCurrentCluster()!.server);
  const options: https.RequestOptions = { hostname: server.hostname, port: server.port, path: '/metrics', method: 'GET' };
  await kc.applyToHTTPSOptions(options);
  const text = await new Promise<string>((resolve, reject) => {
    const req = https.request(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_longrunning_requests{') || !line.includes('verb="WATCH"')) continue;
    const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
    counts[resource] = (counts[resource] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}
