import { ClusterError } from './cluster-errors.js';

/**
 * The pinned control-plane versions (docs/cluster.md "Where things live"). The cache directory is keyed by
 * these, so changing one builds the new version next to the old one instead of overwriting it.
 */
export interface ControlPlaneVersions {
  /** k8s.io/kubernetes tag: kube-apiserver, kube-controller-manager, kube-scheduler. */
  kubernetes: string;
  /** The staging modules' tag that matches `kubernetes` exactly (v1.37.2 ↔ v0.37.2). */
  kubernetesStaging: string;
  /** go.etcd.io/etcd/server/v3 tag. */
  etcd: string;
  /** sigs.k8s.io/kwok tag (the `kwok` controller and its upstream stage files). */
  kwok: string;
  /** github.com/coredns/coredns tag: the real node's cluster DNS. */
  coredns: string;
  /** github.com/rancher/local-path-provisioner tag: the default StorageClass's provisioner. */
  localPathProvisioner: string;
  /** edgemu's own pause and busybox images (node-images in build-binaries.sh). */
  nodeImages: string;
}

export const DEFAULT_VERSIONS: ControlPlaneVersions = {
  kubernetes: 'v1.37.2',
  kubernetesStaging: 'v0.37.2',
  etcd: 'v3.7.3',
  kwok: 'v0.8.0',
  coredns: 'v1.15.0',
  localPathProvisioner: 'v0.0.30',
  nodeImages: 'v1',
};

/** Fallback named in the issue, for machines where v1.37.2 cannot be built. */
export const FALLBACK_KUBERNETES = { kubernetes: 'v1.36.3', kubernetesStaging: 'v0.36.3' } as const;

const SEMVER_TAG = /^v\d+\.\d+\.\d+$/;

/** True for a version tag as Kubernetes writes them: v1.37.2. */
export const isVersionTag = (value: string): boolean => SEMVER_TAG.test(value);

/**
 * The Kubernetes versions `edgemu cluster upgrade` may move a local cluster to (docs/cluster.md
 * "Upgrading"): the pinned default and the fallback, oldest first. Any other version is refused
 * with VERSION_UNKNOWN, so an upgrade never starts a build of an untried release.
 */
export const WIRED_KUBERNETES_VERSIONS: readonly string[] = [FALLBACK_KUBERNETES.kubernetes, DEFAULT_VERSIONS.kubernetes];

/** The staging modules' tag of a Kubernetes tag (v1.X.Y ↔ v0.X.Y, as the staging modules are tagged). */
export function stagingTag(kubernetes: string): string {
  return kubernetes === DEFAULT_VERSIONS.kubernetes ? DEFAULT_VERSIONS.kubernetesStaging : kubernetes.replace(/^v1\./, 'v0.');
}

/** The same version set with another Kubernetes version (etcd, KWOK and the rest unchanged). */
export function withKubernetes(v: ControlPlaneVersions, kubernetes: string): ControlPlaneVersions {
  return { ...v, kubernetes, kubernetesStaging: stagingTag(kubernetes) };
}

/** The components keyed by the Kubernetes version (what an upgrade builds): k8s, and k8s-node for a real node. */
export const kubernetesComponents = (node: boolean): ComponentName[] => (node ? ['k8s', 'k8s-node'] : ['k8s']);

/**
 * The versions to use: the pinned defaults, overridden by EDGEMU_K8S_VERSION (e.g. the v1.36.3
 * fallback; the staging tag follows: v1.X.Y → v0.X.Y, as the staging modules are tagged),
 * EDGEMU_ETCD_VERSION and EDGEMU_KWOK_VERSION. Each version builds into its own cache dir.
 */
export function versionsFromEnv(env: NodeJS.ProcessEnv = process.env): ControlPlaneVersions {
  const pick = (name: string, fallback: string): string => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    if (!SEMVER_TAG.test(value)) throw new ClusterError('VERSION_INVALID', `${name} must look like v1.2.3, got "${value}"`);
    return value;
  };
  const kubernetes = pick('EDGEMU_K8S_VERSION', DEFAULT_VERSIONS.kubernetes);
  return {
    kubernetes,
    kubernetesStaging: stagingTag(kubernetes),
    etcd: pick('EDGEMU_ETCD_VERSION', DEFAULT_VERSIONS.etcd),
    kwok: pick('EDGEMU_KWOK_VERSION', DEFAULT_VERSIONS.kwok),
    coredns: DEFAULT_VERSIONS.coredns,
    localPathProvisioner: DEFAULT_VERSIONS.localPathProvisioner,
    nodeImages: DEFAULT_VERSIONS.nodeImages,
  };
}

/** A cache component: one build-binaries.sh invocation producing one version-keyed directory. */
export type ComponentName = 'k8s' | 'etcd' | 'kwok' | 'kwok-stages' | 'local-path-provisioner' | NodeComponentName;
/** The real node's components (built only where a real node can run). */
export type NodeComponentName = 'k8s-node' | 'coredns' | 'node-images';
export const NODE_COMPONENTS: readonly NodeComponentName[] = ['node-images', 'coredns', 'k8s-node'];

/** The image references the node-images component writes (its build script gets them). */
export const nodeImageRefs = (v: Pick<ControlPlaneVersions, 'nodeImages'>) => ({
  pause: `edgemu.local/pause:${v.nodeImages}`,
  busybox: `edgemu.local/busybox:${v.nodeImages}`,
});

export interface ComponentSpec {
  component: ComponentName;
  version: string;
  /** Extra argument for the build script (the staging version for k8s). */
  extra?: string;
  /** Files the directory must contain. */
  files: readonly string[];
  /**
   * For executables: the substring `<file> --version` must print (proves the binary runs and
   * is the version the directory claims to hold).
   */
  versionText?: (file: string) => string;
}

/** The cache components for a version set, in build order (cheap ones first). */
export function componentSpecs(v: ControlPlaneVersions): ComponentSpec[] {
  return [
    { component: 'etcd', version: v.etcd, files: ['etcd'], versionText: () => `etcd Version: ${v.etcd.replace(/^v/, '')}` },
    { component: 'kwok', version: v.kwok, files: ['kwok'], versionText: () => `kwok version ${v.kwok}` },
    { component: 'kwok-stages', version: v.kwok, files: KWOK_UPSTREAM_STAGE_FILES.map((f) => f.replaceAll('/', '__')) },
    {
      component: 'k8s',
      version: v.kubernetes,
      extra: v.kubernetesStaging,
      files: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'],
      versionText: () => `Kubernetes ${v.kubernetes}`,
    },
    // the default StorageClass's provisioner serves the simulated pool too
    { component: 'local-path-provisioner', version: v.localPathProvisioner, files: ['local-path-provisioner'] },
  ];
}

/** The real node's cache components, cheap ones first. */
export function nodeComponentSpecs(v: ControlPlaneVersions): ComponentSpec[] {
  return [
    { component: 'node-images', version: v.nodeImages, files: ['pause.tar', 'busybox.tar'] },
    { component: 'coredns', version: v.coredns, files: ['coredns'], versionText: () => `CoreDNS-${v.coredns.replace(/^v/, '')}` },
    { component: 'k8s-node', version: v.kubernetes, extra: v.kubernetesStaging, files: ['kubelet', 'kube-proxy'], versionText: () => `Kubernetes ${v.kubernetes}` },
  ];
}

/**
 * Upstream KWOK stage files copied out of the module at build time (kwok.sigs.k8s.io "Stages": v0.8.0 has
 * no built-in stages; these are the "fast" set plus the chaos stage for failed pods).
 */
export const KWOK_UPSTREAM_STAGE_FILES: readonly string[] = [
  'node/fast/node-initialize.yaml',
  'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'pod/fast/pod-ready.yaml',
  'pod/fast/pod-complete.yaml',
  'pod/fast/pod-delete.yaml',
];
