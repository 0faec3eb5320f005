import type { V1ContainerPort, V1DeploymentStrategy, V1HostAlias, V1PodSecurityContext, V1Probe, V1ResourceRequirements, V1SecurityContext, V1ServicePort, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

// Types shared by map-create-options.ts and the map-* files it calls, kept here so that those
// files do not import each other in a cycle.

/**
 * Docker `ContainerCreate` options (a module's createOptions: learn.microsoft.com/azure/iot-edge/how-to-use-create-options,
 * Docker Engine API "ContainerCreate") mapped onto the pieces of a pod, a container and a Service. Pure. Every field it does not map is
 * reported through `warn` by its full path — never dropped silently. Fields whose value is
 * empty (`null`, `false`, `""`, `[]`, `{}`) mean "unset" in Docker and are not reported.
 */
export interface MappedCreateOptions {
  command?: string[];
  args?: string[];
  workingDir?: string;
  /** `Env` as given (merged later by `moduleEnvironment`). */
  env: unknown[];
  containerPorts: V1ContainerPort[];
  /** Ports of the module's Service (headless unless `serviceType` is set). */
  servicePorts: V1ServicePort[];
  /** Only from `k8s-experimental.serviceOptions.type` (with ports); absent means a headless Service. */
  serviceType?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  loadBalancerIP?: string;
  volumes: V1Volume[];
  volumeMounts: V1VolumeMount[];
  /** Docker named volumes used (each becomes a PVC named `distinctK8sName(volume)`), sorted. */
  namedVolumes: string[];
  resources?: V1ResourceRequirements;
  securityContext?: V1SecurityContext;
  podSecurityContext?: V1PodSecurityContext;
  nodeSelector?: Record<string, string>;
  strategy?: V1DeploymentStrategy;
  hostNetwork?: boolean;
  hostIPC?: boolean;
  hostPID?: boolean;
  hostname?: string;
  hostAliases?: V1HostAlias[];
  tty?: boolean;
  stdin?: boolean;
  terminationGracePeriodSeconds?: number;
  livenessProbe?: V1Probe;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
}
