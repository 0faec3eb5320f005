import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WATCHED_SYSCTLS, nodeLayout, type NodeLayout } from '../../../runtime/cluster/node-config.js';
import { cgroupHierarchies, mountsUnder, nftTables, readSysctls } from '../../../runtime/cluster/node-host.js';

/**
 * What a real node leaves on the host, read independently of the teardown code where it can be
 * (/proc, `ip`, /sys/fs/cgroup): the real-node tests compare it before `up` and after `down`.
 */
export interface HostSnapshot {
  sysctls: Record<string, string>;
  nftTables: string[];
  containerLogLinks: boolean;
}

export function hostSnapshot(): HostSnapshot {
  return { sysctls: readSysctls(WATCHED_SYSCTLS), nftTables: nftTables().sort(), containerLogLinks: existsSync('/var/log/containers') };
}

/** Everything of one cluster's real node still on the host (empty lists = nothing left). */
export function leftovers(clusterDir: string, name: string): { processes: string[]; mounts: string[]; bridge: boolean; cgroups: string[]; dirs: string[] } {
  const layout: NodeLayout = nodeLayout(clusterDir, name);
  const processes: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('vitest')) continue;
      if ([clusterDir, layout.runDir, layout.dataDir].some((p) => cmdline.includes(p))) processes.push(`${entry}: ${cmdline.replaceAll('\0', ' ').slice(0, 160)}`);
    } catch {
      // exited
    }
  }
  let bridge = true;
  try {
    execFileSync('ip', ['link', 'show', layout.bridge], { stdio: 'ignore' });
  } catch {
    bridge = false;
  }
  return {
    processes,
    mounts: mountsUnder([layout.runDir, layout.dataDir, clusterDir]),
    bridge,
    cgroups: cgroupHierarchies()
      .map((h) => join(h, layout.cgroupRoot))
      .filter((d) => existsSync(d)),
    // the parents too: nothing else on this machine uses them while the test runs
    dirs: [layout.runDir, layout.dataDir, dirname(layout.runDir), dirname(layout.dataDir)].filter((d) => existsSync(d)),
  };
}

export const NOTHING_LEFT = { processes: [], mounts: [], bridge: false, cgroups: [], dirs: [] };

/**
 * The values kubelet 1.37 writes while it runs (setupKernelTunables in kubernetes/kubernetes
 * pkg/kubelet/cm/container_manager_linux.go; it has no setting that leaves them alone).
 */
export const KUBELET_SYSCTLS: Readonly<Record<string, string>> = { 'vm.overcommit_memory': '1', 'kernel.panic': '10', 'kernel.panic_on_oops': '1' };
/** The kernel's own defaults for them (kernel.org admin-guide/sysctl/vm.rst and kernel.rst). */
const KERNEL_DEFAULTS: Readonly<Record<string, string>> = { 'vm.overcommit_memory': '0', 'kernel.panic': '0', 'kernel.panic_on_oops': '0' };

/**
 * Makes every sysctl kubelet changes differ from kubelet's value (the kernel default where it
 * equals kubelet's), so a test sees kubelet change it and the teardown restore it — on a host
 * that already has kubelet's values a restore could not be told from no change. Returns the undo.
 */
export function sysctlsUnlikeKubelet(): () => void {
  const before = readSysctls(Object.keys(KUBELET_SYSCTLS));
  const write = (key: string, value: string) => writeFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, value);
  for (const [key, value] of Object.entries(KUBELET_SYSCTLS)) if (before[key] === value) write(key, KERNEL_DEFAULTS[key]!);
  return () => {
    for (const [key, value] of Object.entries(before)) write(key, value);
  };
}
