import { describe, expect, it } from 'vitest';
import { mapCreateOptions } from '../../../runtime/translate/map-create-options.js';

/*
 * IoT Edge's Kubernetes mode read k8s-experimental into the Kubernetes client's typed models with
 * Newtonsoft.Json (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Kubernetes/KubernetesExperimentalCreatePodParameters.cs),
 * which converts "false" to a boolean and "420" to an integer; kube-apiserver refuses the strings
 * (`volumeMounts[0].readOnly: expected boolean`). Field types from the Kubernetes API reference
 * (VolumeMount, Volume, PodSecurityContext, DeploymentStrategy).
 */
const map = (exp: Record<string, unknown>) => mapCreateOptions({ 'k8s-experimental': exp }, () => undefined);
const vol = (volume: Record<string, unknown>, mount: Record<string, unknown> = {}) => ({ volumes: [{ volume: { name: 'v', ...volume }, volumeMounts: [{ name: 'v', mountPath: '/m', ...mount }] }] });

describe('k8s-experimental value types', () => {
  it.each<[string, Record<string, unknown>, (m: ReturnType<typeof map>) => unknown, unknown]>([
    ['volumeMounts readOnly "false" becomes false', vol({ emptyDir: {} }, { readOnly: 'false' }), (m) => m.volumeMounts[0]!.readOnly, false],
    ['volumeMounts readOnly "True" becomes true (case-insensitive, as bool.TryParse)', vol({ emptyDir: {} }, { readOnly: 'True' }), (m) => m.volumeMounts[0]!.readOnly, true],
    ['a boolean stays a boolean', vol({ emptyDir: {} }, { readOnly: true }), (m) => m.volumeMounts[0]!.readOnly, true],
    ['secret defaultMode "420" becomes 420', vol({ secret: { secretName: 's', defaultMode: '420' } }), (m) => m.volumes[0]!.secret!.defaultMode, 420],
    ['configMap items mode "0444" becomes 444 (decimal, as JSON has no octal)', vol({ configMap: { name: 'c', items: [{ key: 'k', path: 'p', mode: '0444' }] } }), (m) => m.volumes[0]!.configMap!.items![0]!.mode, 444],
    ['configMap optional "true" becomes true', vol({ configMap: { name: 'c', optional: 'true' } }), (m) => m.volumes[0]!.configMap!.optional, true],
    ['persistentVolumeClaim readOnly "false" becomes false', vol({ persistentVolumeClaim: { claimName: 'c', readOnly: 'false' } }), (m) => m.volumes[0]!.persistentVolumeClaim!.readOnly, false],
    ['a string field (hostPath.type) is left alone', vol({ hostPath: { path: '/x', type: 'Directory' } }), (m) => m.volumes[0]!.hostPath!.type, 'Directory'],
    ['securityContext runAsUser "1000" becomes 1000', { securityContext: { runAsUser: '1000' } }, (m) => m.podSecurityContext!.runAsUser, 1000],
    ['securityContext runAsNonRoot "true" becomes true', { securityContext: { runAsNonRoot: 'true' } }, (m) => m.podSecurityContext!.runAsNonRoot, true],
    ['securityContext supplementalGroups ["10"] become [10]', { securityContext: { supplementalGroups: ['10', 20] } }, (m) => m.podSecurityContext!.supplementalGroups, [10, 20]],
    ['strategy maxUnavailable "1" becomes 1', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '1' } } }, (m) => m.strategy!.rollingUpdate!.maxUnavailable, 1],
    ['strategy maxSurge "25%" stays a percentage', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } } }, (m) => m.strategy!.rollingUpdate!.maxSurge, '25%'],
  ])('%s', (_name, exp, pick, expected) => {
    expect(pick(map(exp))).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['readOnly "no"', vol({ emptyDir: {} }, { readOnly: 'no' }), '/k8s-experimental/volumes/0/volumeMounts/0/readOnly'],
    ['readOnly 1', vol({ emptyDir: {} }, { readOnly: 1 }), '/k8s-experimental/volumes/0/volumeMounts/0/readOnly'],
    ['defaultMode "rw"', vol({ secret: { secretName: 's', defaultMode: 'rw' } }), '/k8s-experimental/volumes/0/volume/secret/defaultMode'],
    ['runAsUser 1.5', { securityContext: { runAsUser: 1.5 } }, '/k8s-experimental/securityContext/runAsUser'],
    ['supplementalGroups not a list', { securityContext: { supplementalGroups: '10' } }, '/k8s-experimental/securityContext/supplementalGroups'],
    ['maxUnavailable "one"', { strategy: { rollingUpdate: { maxUnavailable: 'one' } } }, '/k8s-experimental/strategy/rollingUpdate/maxUnavailable'],
  ])('refuses %s with TRANSLATE_INVALID_K8S_VALUE and its JSON pointer', (_name, exp, pointer) => {
    expect(() => map(exp)).toThrow(expect.objectContaining({ code: 'TRANSLATE_INVALID_K8S_VALUE', details: expect.objectContaining({ pointer }) }));
  });
});
