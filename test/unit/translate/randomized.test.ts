import { describe, expect, it } from 'vitest';
import { validateManifest } from '../../../runtime/manifest/index.js';
import { isQualifiedKey, K8S_ENV_NAME, renderObjects, translateDeployment, TranslateError, type TranslatedObject } from '../../../runtime/translate/index.js';
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { randomManifest, rng } from './random-manifest.js';

/**
 * Randomized manifests (seeded, so a failure names a reproducible seed): whatever the validator
 * accepts, translation either succeeds with objects that satisfy Kubernetes' naming and
 * uniqueness rules, or refuses with the one documented error a valid manifest can still hit (an
 * env name Kubernetes cannot take). It never throws anything else and is deterministic.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const dupes = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);

function checkObject(o: TranslatedObject): void {
  const name = o.metadata!.name!;
  expect(name.length).toBeLessThanOrEqual(253);
  expect(name).toMatch(DNS1123_SUBDOMAIN);
  if (o.kind === 'Namespace' || o.kind === 'Service' || o.kind === 'Deployment' || o.kind === 'ServiceAccount') {
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(o.kind === 'Service' || o.kind === 'Namespace' ? DNS1035_LABEL : DNS1123_SUBDOMAIN);
  }
  expect(o.metadata!.labels!['app.kubernetes.io/managed-by']).toBe('edgemu');
  for (const [k, v] of Object.entries(o.metadata!.labels ?? {})) {
    expect(isQualifiedKey(k)).toBe(true);
    expect(v.length <= 63 && LABEL_VALUE.test(v)).toBe(true);
  }
  if (o.kind === 'Deployment') {
    const d = o as V1Deployment;
    const pod = d.spec!.template.spec!;
    for (const [k, v] of Object.entries(d.spec!.template.metadata!.labels ?? {})) expect(isQualifiedKey(k) && v.length <= 63 && LABEL_VALUE.test(v)).toBe(true);
    for (const k of Object.keys(d.spec!.template.metadata!.annotations ?? {})) expect(isQualifiedKey(k)).toBe(true);
    expect(dupes(pod.volumes!.map((v) => v.name))).toEqual([]);
    for (const v of pod.volumes!) expect(v.name.length <= 63 && DNS1123_LABEL.test(v.name)).toBe(true);
    const c = pod.containers[0]!;
    expect(dupes(c.volumeMounts!.map((m) => m.mountPath))).toEqual([]);
    for (const m of c.volumeMounts!) expect(pod.volumes!.some((v) => v.name === m.name)).toBe(true);
    for (const e of c.env!) expect(e.name).toMatch(K8S_ENV_NAME);
    expect(dupes(c.env!.map((e) => e.name))).toEqual([]);
    expect(dupes((c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol}`))).toEqual([]);
  }
  if (o.kind === 'Service') {
    const ports = (o as V1Service).spec!.ports ?? [];
    expect(dupes(ports.map((p) => p.name!))).toEqual([]);
    expect(dupes(ports.map((p) => `${p.port}/${p.protocol}`))).toEqual([]);
    for (const p of ports) expect(p.name!.length <= 63 && DNS1123_LABEL.test(p.name!)).toBe(true);
    const nodePorts = ports.filter((p) => p.nodePort !== undefined).map((p) => `${p.nodePort}/${p.protocol}`);
    expect(dupes(nodePorts)).toEqual([]);
  }
}

describe('translation of randomized valid manifests', () => {
  const seeds = Array.from({ length: 400 }, (_, i) => i + 1);
  let translated = 0;
  let refused = 0;

  it.each([[seeds]])('never throws anything but a documented refusal, and yields valid objects', (all) => {
    for (const seed of all) {
      const doc = randomManifest(rng(seed));
      const result = validateManifest(doc);
      if (result.status !== 200) continue;
      const context = { deviceId: `dev-${seed}`, iotHubHostName: 'hub', gatewayHostName: '10.0.0.1:8883', hubCaPem: 'CA' };
      let t;
      try {
        t = translateDeployment(result.value.edgeAgent, context);
      } catch (error) {
        // A valid manifest may still name env vars Kubernetes refuses; nothing else may be thrown.
        expect(error, `seed ${seed}`).toBeInstanceOf(TranslateError);
        expect((error as TranslateError).code, `seed ${seed}: ${(error as Error).message}`).toBe('TRANSLATE_INVALID_ENV_NAME');
        refused++;
        continue;
      }
      translated++;
      for (const o of t.objects) checkObject(o);
      expect(renderObjects(translateDeployment(structuredClone(result.value.edgeAgent), context).objects, 'yaml'), `seed ${seed}`).toBe(renderObjects(t.objects, 'yaml'));
    }
    // The generator must actually exercise the translation, not just the validator.
    expect(translated).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(0);
    // 400 full translations in one test: on a loaded 2-core machine this exceeds vitest's 5 s default (not a speed target).
  }, 60_000);
});
