import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { version: EDGEMU_VERSION } = require('../../package.json') as { version: string };

/** What `version` and `runtime.platform` of the `$edgeAgent` reported properties say. */
export interface AgentPlatform {
  version: { version: string; build: string; commit: string };
  platform: { os: string; architecture: string; version: string };
}

/**
 * Node's `process.arch` names → the names IoT Edge reports in `runtime.platform.architecture`
 * (edgelet reports the machine's `uname -m`-style name, e.g. `x86_64`; learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub, EdgeAgent reported properties `runtime.platform`).
 */
const ARCHITECTURES: Readonly<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', ia32: 'x86' };

/**
 * The agent's self-description in IoT Edge's shape: `platform.os` `linux`/`windows`,
 * `architecture` as IoT Edge spells it, and `platform.version` the runtime's version — here
 * edgemu's (IoT Edge puts its edgelet version there, not a language runtime's).
 */
export function agentPlatform(os: string = process.platform, arch: string = process.arch, version: string = EDGEMU_VERSION): AgentPlatform {
  return {
    version: { version, build: 'edgemu', commit: '' },
    platform: { os: os === 'win32' ? 'windows' : os, architecture: ARCHITECTURES[arch] ?? arch, version },
  };
}
