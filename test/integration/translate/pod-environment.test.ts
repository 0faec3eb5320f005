import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeAgentConfig, ModuleSpec } from '../../../runtime/manifest/model.js';
import { translateContextFromState } from '../../../runtime/translate/context-from-state.js';
import { translateDeployment } from '../../../runtime/translate/index.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { agent, spec } from '../../helpers/manifest-builders.js';
import { openHubAdmin } from '../../../runtime/service-api/index.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';

// The test hub runs without a service API, so this is the offline administration of its store.
const openHub = (stateDir: string) => openHubAdmin(stateDir, { logger: silentLogger() });

/**
 * The pod side of the promise "a module built with ModuleClient.fromEnvironment connects to
 * edgemu's hub unchanged": the env of a translated Deployment is resolved the way the kubelet
 * does it (Secret keys, `$$` → `$`, the CA ConfigMap as a mounted file) and handed to a real
 * Node process that calls `ModuleClient.fromEnvironment(Mqtt)` against a running hub over TLS.
 */

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const MODULE_SCRIPT = `
const { ModuleClient } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
ModuleClient.fromEnvironment(Mqtt)
  .then(async (client) => { await client.open(); const twin = await client.getTwin(); console.log(JSON.stringify({ ok: true, dollar: process.env.PRICE, twin: typeof twin.properties })); await client.close(); process.exit(0); })
  .catch((e) => { console.error(e && e.message); process.exit(1); });
`;

const module = (name: string, env: Record<string, string>): ModuleSpec => spec(name, { startupOrder: 1, image: 'example/m:1', env });
const config = (modules: ModuleSpec[]): EdgeAgentConfig => agent(modules);

/** What the kubelet gives the container: secretKeyRef resolved, `$$` unescaped, the CA file at its mount. */
function podEnv(objects: readonly unknown[], moduleK8sName: string, caDir: string): Record<string, string> {
  const list = objects as { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: unknown }[];
  const deployment = list.find((o) => o.kind === 'Deployment' && o.metadata.name === moduleK8sName) as unknown as {
    spec: { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[]; volumeMounts: { name: string; mountPath: string }[] }[]; volumes: { name: string; configMap?: { name: string } }[] } } };
  };
  const pod = deployment.spec.template.spec;
  // Mount the ConfigMap volumes: write each key as a file under a temp stand-in for mountPath.
  const mountMap = new Map<string, string>();
  for (const vm of pod.containers[0]!.volumeMounts) {
    const volume = pod.volumes.find((v) => v.name === vm.name)!;
    const cm = list.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap?.name) as V1ConfigMap | undefined;
    if (!cm) continue;
    for (const [key, value] of Object.entries(cm.data ?? {})) {
      writeFileSync(path.join(caDir, `${vm.name}-${key}`), value);
      mountMap.set(`${vm.mountPath}/${key}`, path.join(caDir, `${vm.name}-${key}`));
    }
  }
  const env: Record<string, string> = {};
  for (const e of pod.containers[0]!.env) {
    if (e.valueFrom) {
      const secret = list.find((o) => o.kind === 'Secret' && o.metadata.name === e.valueFrom!.secretKeyRef.name) as V1Secret;
      env[e.name] = Buffer.from(secret.data![e.valueFrom.secretKeyRef.key]!, 'base64').toString();
    } else {
      const value = e.value!.replace(/\$\$/g, '$');
      env[e.name] = mountMap.get(value) ?? value;
    }
  }
  return env;
}

describe('a translated pod environment', () => {
  let hub: TestHub;
  let caDir: string;
  beforeAll(async () => {
    hub = await startTestHub();
    caDir = mkdtempSync(path.join(tmpdir(), 'edgemu-pod-env-'));
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(caDir, { recursive: true, force: true });
  });

  it('lets an unmodified ModuleClient.fromEnvironment module connect to the hub', async () => {
    hub.createDevice('edge-1', { edge: true });
    hub.createModule('edge-1', 'My_Sensor');
    const cfg = config([module('My_Sensor', { PRICE: '$(NOT_EXPANDED) $5' })]);
    const { context, notes } = await translateContextFromState({
      stateDir: hub.stateDir,
      openHub,
      deviceId: 'edge-1',
      moduleNames: ['My_Sensor'],
      gatewayHost: `localhost:${hub.hub.mqttsPort}`,
    });
    // The test runs the "pod" on this host, so loopback is right here (and noted, as pods cannot use it).
    expect(notes).toEqual([expect.stringMatching(/^gateway localhost:\d+ is the loopback address/)]);
    const t = translateDeployment(cfg, context);
    expect(t.warnings).toEqual([]);
    const env = podEnv(t.objects, 'my-sensor', caDir);
    expect(env.IOTEDGE_MODULEID).toBe('My_Sensor');

    const { stdout } = await run(process.execPath, ['-e', MODULE_SCRIPT], { cwd: repo, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ ok: true, dollar: '$(NOT_EXPANDED) $5', twin: 'object' });
  });

  it('is refused by the hub while the Secret holds the placeholder key', async () => {
    const cfg = config([module('ghost', {})]);
    const { context } = await translateContextFromState({ stateDir: hub.stateDir, openHub, deviceId: 'edge-1', moduleNames: ['ghost'], gatewayHost: `localhost:${hub.hub.mqttsPort}` });
    const t = translateDeployment(cfg, context);
    const env = podEnv(t.objects, 'ghost', caDir);
    const failed = await run(process.execPath, ['-e', MODULE_SCRIPT], { cwd: repo, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }).then(
      () => false,
      () => true,
    );
    expect(failed).toBe(true);
  });
});
