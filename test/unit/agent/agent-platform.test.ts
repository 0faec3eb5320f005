import { describe, expect, it } from 'vitest';
import { agentPlatform } from '../../../runtime/agent/agent-platform.js';

describe('agentPlatform (runtime.platform as IoT Edge reports it)', () => {
  it.each([
    ['linux', 'x64', 'linux', 'x86_64'],
    ['linux', 'arm64', 'linux', 'aarch64'],
    ['linux', 'arm', 'linux', 'armv7l'],
    ['win32', 'x64', 'windows', 'x86_64'],
    ['linux', 'riscv64', 'linux', 'riscv64'],
  ])('reports Node %s/%s as os %s, architecture %s', (os, arch, wantOs, wantArch) => {
    expect(agentPlatform(os, arch, '9.9.9').platform).toEqual({ os: wantOs, architecture: wantArch, version: '9.9.9' });
  });

  it("uses edgemu's version, not Node's, for the runtime and agent version", () => {
    const { version, platform } = agentPlatform();
    expect(platform.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(platform.version).not.toBe(process.version);
    expect(version.version).toBe(platform.version);
  });
});
