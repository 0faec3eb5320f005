import { describe, expect, it } from 'vitest';
import { decideAfterFailedInstall, decideNodes, missingPackages, simulatedNotice, type HostFacts } from '../../../runtime/cluster/node-preflight.js';

const ok: HostFacts = { platform: 'linux', uid: 0, missing: [], aptGet: true };

describe('deciding between a real node and simulated pods', () => {
  it('runs the real node on Linux as root with the packages present', () => {
    expect(decideNodes('auto', ok)).toEqual({ nodes: 'real', install: [] });
  });

  it('installs missing packages itself when apt-get is there', () => {
    expect(decideNodes('auto', { ...ok, missing: ['containerd', 'runc'] })).toEqual({ nodes: 'real', install: ['containerd', 'runc'] });
  });

  it.each([
    ['not Linux', { ...ok, platform: 'darwin' as const }, /need Linux/],
    ['not root', { ...ok, uid: 1000 }, /need root/],
    ['packages missing without apt-get', { ...ok, missing: ['runc'], aptGet: false }, /runc are missing and apt-get is not available/],
    ['another cluster runs the real node', { ...ok, otherRealNode: { dir: '/x/clusters/a' } }, /\/x\/clusters\/a already runs the real node/],
  ])('falls back to simulated pods when %s, saying why and how to get real ones', (_what, facts, reason) => {
    const d = decideNodes('auto', facts);
    expect(d.nodes).toBe('simulated');
    if (d.nodes !== 'simulated') return;
    expect(d.reason).toMatch(reason);
    expect(d.refuse).toBe(false);
    expect(simulatedNotice(d)).toMatch(/^pods are simulated \(nothing runs in them\): .*; for real pods: /);
  });

  it('refuses instead of falling back when real pods were asked for', () => {
    const d = decideNodes('real', { ...ok, uid: 1000 });
    expect(d).toMatchObject({ nodes: 'simulated', refuse: true, fix: 'sudo edgemu cluster up' });
  });

  it('never looks at the host for --nodes simulated', () => {
    expect(decideNodes('simulated', { ...ok, uid: 1000 })).toMatchObject({ nodes: 'simulated', refuse: false });
  });

  it('names each missing Debian package once, from the files it provides', () => {
    const present = new Set(['/usr/bin/containerd']);
    const missing = missingPackages((p) => present.has(p));
    expect(missing).toContain('containerd');
    expect(missing.filter((m) => m === 'containerd')).toHaveLength(1);
    expect(missing).toEqual(expect.arrayContaining(['runc', 'containernetworking-plugins', 'nftables', 'conntrack', 'busybox-static']));
    expect(missingPackages(() => true)).toEqual([]);
  });

  it('falls back to simulated pods when apt-get cannot install the packages (auto), naming what failed and the retry; refuses with --nodes real', () => {
    const error = 'apt-get install -y --no-install-recommends runc failed (exit 100):\nE: Unable to locate package runc';
    const auto = decideAfterFailedInstall('auto', ['runc'], error);
    expect(auto).toMatchObject({ nodes: 'simulated', refuse: false });
    expect(simulatedNotice(auto)).toBe(
      'pods are simulated (nothing runs in them): installing the Debian packages runc failed (E: Unable to locate package runc); for real pods: apt-get install runc, then edgemu cluster up again',
    );
    expect(decideAfterFailedInstall('real', ['runc'], error).refuse).toBe(true);
  });
});
