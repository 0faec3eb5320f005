import { isEmpty, isObj, sortKeys, type Obj, type Warn } from './create-options-values.js';
import { convertK8sTypes, POD_SECURITY_CONTEXT_SCHEMA, STRATEGY_SCHEMA, VOLUME_MOUNT_SCHEMA, VOLUME_SCHEMA } from './k8s-value-types.js';

/** The createOptions key of IoT Edge's Kubernetes extensions (`KubernetesExperimentalCreatePodParameters.cs`). */
export const EXPERIMENTAL_KEY = 'k8s-experimental';
const EXPERIMENTAL = ['volumes', 'resources', 'nodeSelector', 'securityContext', 'serviceOptions', 'strategy'] as const;

/** The recognised `k8s-experimental` settings after type checks. */
export interface Experimental {
  volumes?: { volume: Obj; volumeMounts: Obj[] }[];
  resources?: Obj;
  nodeSelector?: Record<string, string>;
  securityContext?: Obj;
  serviceOptions?: { type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; loadBalancerIP?: string };
  strategy?: Obj;
}

/**
 * k8s-experimental (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Kubernetes/KubernetesExperimentalCreatePodParameters.cs): keys matched case-insensitively, values passed
 * through as Kubernetes objects after the type conversion IoT Edge's JSON reader did
 * ({@link convertK8sTypes}; an unconvertible value throws `TRANSLATE_INVALID_K8S_VALUE`), unknown keys reported. Honoured always (IoT Edge needed two
 * agent feature flags; edgemu has none).
 */
export function readExperimental(section: Obj, warn: Warn): Experimental {
  const exp: Experimental = {};
  const path = (k: string) => `createOptions.${EXPERIMENTAL_KEY}.${k}`;
  for (const [key, value] of Object.entries(section)) {
    const known = EXPERIMENTAL.find((k) => k.toLowerCase() === key.toLowerCase());
    if (known === undefined) {
      warn(`${path(key)} is not a known k8s-experimental setting and was ignored`);
      continue;
    }
    if (isEmpty(value)) continue;
    switch (known) {
      case 'volumes': {
        if (!Array.isArray(value)) {
          warn(`${path(key)} is not a list and was ignored`);
          break;
        }
        exp.volumes = [];
        value.forEach((item: unknown, i) => {
          const v = isObj(item) ? item : undefined;
          const volume = v?.volume;
          const mounts = v?.volumeMounts ?? [];
          if (!isObj(volume) || typeof volume.name !== 'string' || !Array.isArray(mounts) || !mounts.every(isObj)) {
            warn(`${path(key)}[${i}] needs {volume: {name, …}, volumeMounts: [...]} and was ignored`);
            return;
          }
          const at = `/${key}/${i}`;
          exp.volumes!.push({
            volume: convertK8sTypes(volume, VOLUME_SCHEMA, `/${EXPERIMENTAL_KEY}${at}/volume`) as Obj,
            volumeMounts: mounts.map((m, j) => convertK8sTypes(m, VOLUME_MOUNT_SCHEMA, `/${EXPERIMENTAL_KEY}${at}/volumeMounts/${j}`) as Obj),
          });
        });
        break;
      }
      case 'nodeSelector':
        if (isObj(value) && Object.values(value).every((x) => typeof x === 'string')) exp.nodeSelector = sortKeys(value as Record<string, string>);
        else warn(`${path(key)} is not a map of strings and was ignored`);
        break;
      case 'serviceOptions': {
        if (!isObj(value)) {
          warn(`${path(key)} is not an object and was ignored`);
          break;
        }
        const opts: NonNullable<Experimental['serviceOptions']> = {};
        for (const [k, v] of Object.entries(value)) {
          if (k.toLowerCase() === 'type') {
            const type = typeof v === 'string' ? ['ClusterIP', 'NodePort', 'LoadBalancer'].find((t) => t.toLowerCase() === v.toLowerCase()) : undefined;
            if (type === undefined) warn(`${path(key)}.${k} must be ClusterIP, NodePort or LoadBalancer; ignored`);
            else opts.type = type as 'ClusterIP' | 'NodePort' | 'LoadBalancer';
          } else if (k.toLowerCase() === 'loadbalancerip') {
            if (typeof v === 'string') opts.loadBalancerIP = v;
            else warn(`${path(key)}.${k} is not a string and was ignored`);
          } else {
            warn(`${path(key)}.${k} is not a known service option and was ignored`);
          }
        }
        exp.serviceOptions = opts;
        break;
      }
      default:
        // resources (V1ResourceRequirements), securityContext (V1PodSecurityContext), strategy (V1DeploymentStrategy)
        if (isObj(value)) {
          const schema = known === 'securityContext' ? POD_SECURITY_CONTEXT_SCHEMA : known === 'strategy' ? STRATEGY_SCHEMA : undefined;
          exp[known] = schema === undefined ? value : (convertK8sTypes(value, schema, `/${EXPERIMENTAL_KEY}/${key}`) as Obj);
        } else warn(`${path(key)} is not an object and was ignored`);
    }
  }
  return exp;
}
