import { existsSync } from 'node:fs';
import path from 'node:path';
import { openHubStore, readDiscovery, resolveHubAddress, SYSTEM_MODULE_IDS } from '../hub/index.js';
import type { Logger } from '../log/create-logger.js';
import { ModuleRunError } from './module-run-error.js';
import { hostModuleEnvironment, type HostModuleEnvironment } from './host-module-environment.js';

/** File name of the CA certificate in a state dir when no running hub names it. */
export const STATE_DIR_CA_FILE = 'ca.pem';

export interface ModuleContextOptions {
  stateDir: string;
  deviceId: string;
  moduleId: string;
  logLevel?: string | undefined;
  logger?: Logger | undefined;
}

export interface ModuleContext extends HostModuleEnvironment {
  /** True when the module identity did not exist and was created now. */
  createdIdentity: boolean;
  /** Whether a hub process is serving this state dir right now. */
  hubRunning: boolean;
}

/**
 * Gathers what `edgemu module run|env` needs from a state dir, without a running hub (the
 * registry is the hub's SQLite store): the module identity (created when missing, as IoT Edge's
 * agent creates identities for manifest modules), the manifest deployed to the device, the
 * hub's address and CA file. Throws MODULE_RUN_DEVICE_NOT_FOUND / MODULE_RUN_SYSTEM_MODULE.
 */
export function loadModuleContext(options: ModuleContextOptions): ModuleContext {
  const { deviceId, moduleId } = options;
  if ((SYSTEM_MODULE_IDS as readonly string[]).includes(moduleId)) {
    throw new ModuleRunError('MODULE_RUN_SYSTEM_MODULE', `${moduleId} is played by edgemu itself (the hub and the agent); run a user module instead`);
  }
  const stateDir = path.resolve(options.stateDir);
  const store = openHubStore({ stateDir, ...(options.logger ? { logger: options.logger } : {}) });
  try {
    if (!store.identities.get({ deviceId })) {
      throw new ModuleRunError(
        'MODULE_RUN_DEVICE_NOT_FOUND',
        `device ${deviceId} does not exist in ${stateDir}; create it with \`edgemu identity create ${deviceId} --edge\` or deploy to it first`,
      );
    }
    const existing = store.identities.get({ deviceId, moduleId });
    const identity = existing ?? store.identities.ensureModule(deviceId, moduleId);
    const desired = store.twins.getDeviceView({ deviceId, moduleId: '$edgeAgent' })?.desired;
    const address = resolveHubAddress(store);
    const running = readDiscovery(stateDir);
    const caFile = running?.caFile ?? path.join(stateDir, STATE_DIR_CA_FILE);
    const built = hostModuleEnvironment({
      deviceId,
      moduleId,
      identity,
      hub: { hostName: address.hostName, mqttsPort: address.mqttsPort },
      caFile,
      edgeAgentDesired: desired,
      logLevel: options.logLevel,
    });
    const warnings = [...built.warnings];
    if (!address.running) warnings.push(`no hub is running for ${stateDir}; the module will keep retrying ${address.hostName}:${address.mqttsPort} until one starts there`);
    if (!existsSync(caFile)) warnings.push(`the CA file ${caFile} does not exist yet (the hub writes it when it first starts)`);
    return { ...built, warnings, createdIdentity: existing === undefined, hubRunning: address.running };
  } finally {
    store.close();
  }
}
