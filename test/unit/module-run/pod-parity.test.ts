import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { V1EnvVar, V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { validateManifest } from '../../../runtime/manifest/index.js';
import { hostModuleEnvironment } from '../../../runtime/module-run/index.js';
import { IDENTITY_SECRET_KEY, identitySecretName, translateDeployment } from '../../../runtime/translate/index.js';

const raw = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../deployments/examples/sample-modules.deployment.json'), 'utf8'));
const result = validateManifest(raw);
if (result.status !== 200) throw new Error('the sample deployment must be valid');
const deployment = result.value;
const identities = {
  sensor: { sharedAccessKey: 'c2Vuc29yLWtleQ==', generationId: 'gen-sensor' },
  filter: { sharedAccessKey: 'ZmlsdGVyLWtleQ==', generationId: 'gen-filter' },
  echo: { sharedAccessKey: 'ZWNoby1rZXk=', generationId: 'gen-echo' },
};
const pods = translateDeployment(deployment.edgeAgent, {
  deviceId: 'edge-1',
  iotHubHostName: 'localhost',
  gatewayHostName: 'edgemu-hub.example:8883',
  hubCaPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  identities,
});

/** Variables whose values necessarily differ between a pod and a host process (where to reach the hub, where the CA file is). */
const LOCATION_DEPENDENT = ['EdgeHubConnectionString', 'EdgeModuleCACertificateFile', 'IOTEDGE_GATEWAYHOSTNAME'];

describe('module run gives a module the environment its pod gets', () => {
  it.each(Object.keys(identities) as Array<keyof typeof identities>)('%s: same variables, same values except where the hub and its CA are', (name) => {
    const pod = pods.modules.find((m) => m.name === name)!;
    const containerEnv: V1EnvVar[] = pod.deployment.spec!.template.spec!.containers[0]!.env ?? [];
    const host = hostModuleEnvironment({
      deviceId: 'edge-1',
      moduleId: name,
      identity: { primaryKey: identities[name].sharedAccessKey, generationId: identities[name].generationId },
      hub: { hostName: 'localhost', mqttsPort: 40123 },
      caFile: '/state/ca.pem',
      edgeAgentDesired: raw.modulesContent.$edgeAgent['properties.desired'],
    });

    expect(Object.keys(host.env).sort()).toEqual(containerEnv.map((v) => v.name).sort());
    for (const v of containerEnv) {
      if (LOCATION_DEPENDENT.includes(v.name)) continue;
      // Pods get `$` escaped as `$$` for the kubelet; the sample has no `$` in values.
      expect(host.env[v.name], v.name).toBe(v.value);
    }

    // The connection string in the pod's Secret names the same identity with the same key; only the gateway differs.
    const secret = pod.objects.find((o): o is V1Secret => o.kind === 'Secret' && o.metadata?.name === identitySecretName(name))!;
    const podConnectionString = secret.stringData?.[IDENTITY_SECRET_KEY] ?? Buffer.from(secret.data![IDENTITY_SECRET_KEY]!, 'base64').toString();
    const withoutGateway = (s: string) => s.split(';').filter((p) => !p.startsWith('GatewayHostName=')).join(';');
    expect(withoutGateway(host.env.EdgeHubConnectionString!)).toBe(withoutGateway(podConnectionString));
    expect(host.env.EdgeHubConnectionString).toMatch(/;GatewayHostName=localhost:40123$/);
  });
});
