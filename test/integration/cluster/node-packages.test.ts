import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { installPackages } from '../../../runtime/cluster/node-host.js';

// A Debian package the real node needs that apt-get cannot install (docs/cluster.md
// "Requirements"): a clear error with apt-get's own words and the two ways out, and nothing else
// happens. Runs the real apt-get against the host's package lists (no download: the name is
// refused while resolving).
describe.runIf(existsSync('/usr/bin/apt-get') && process.getuid?.() === 0)('installing the real node\'s packages', () => {
  it('names the package apt-get cannot find and says how to go on', async () => {
    const progress: string[] = [];
    const error = await installPackages(['edgemu-no-such-package'], (l) => progress.push(l)).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(error?.code).toBe('TOOL_MISSING');
    expect(error?.message).toMatch(/^apt-get install -y --no-install-recommends edgemu-no-such-package failed \(exit 100\)/);
    expect(error?.message).toMatch(/Unable to locate package edgemu-no-such-package|Could not get lock/);
    expect(error?.message).toMatch(/install the packages by hand \(apt-get install edgemu-no-such-package\) or use --nodes simulated$/);
    expect(progress).toContain('apt-get install edgemu-no-such-package');
  }, 120_000);
});
