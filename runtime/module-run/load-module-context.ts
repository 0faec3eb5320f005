import { existsSync } from 'node:fs';
import path from 'node:path';
import { readDiscovery, SYSTEM_MODULE_IDS } from '../hub/index.js';
import { silentLogger, type Logger } from '../log/create-logger.js';
import { openHubAdmin } from '../service-api/index.js';
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
 * Gathers what `edgemu module run|env` needs from a state dir: the module identity (created when
 * missing, as IoT Edge's agent creates identities for manifest modules), the manifest deployed to
 * the device, the hub's address and CA file. Through `openHubAdmin`: the service API when a hub
 * runs there (the hub owns its store), else the offline administration of the store
 * (docs/architecture-rules.md rule 4). Throws MODULE_RUN_DEVICE_NOT_FOUND / MODULE_RUN_SYSTEM_MODULE.
 */
export async function loadModuleContext(options: ModuleContextOptions): Promise<ModuleContext> {
  const { deviceId, moduleId } = options;
  if ((SYSTEM_MODULE_IDS as readonly string[]).includes(moduleId)) {
    throw new ModuleRunError('MODULE_RUN_SYSTEM_MODULE', `${moduleId} is played by edgemu itself (the hub and the agent); run a user module instead`);
  }
  const stateDir = path.resolve(options.stateDir);
  const admin = openHubAdmin(stateDir, { logger: options.logger ?? silentLogger() });
  try {
    if (!(await admin.getIdentity({ deviceId }))) {
      throw new ModuleRunError(
        'MODULE_RUN_DEVICE_NOT_FOUND',
        `device ${deviceId} does not exist in ${admin.online ? 'the running hub of ' : ''}${stateDir}; create it with \`edgemu identity create ${deviceId} --edge\` or deploy to it first`,
      );
    }
    const { identity, created } = await admin.ensureModule(deviceId, moduleId);
    const desired = await admin.edgeAgentDesired(deviceId);
    const address = await admin.address();
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
    return { ...built, warnings, createdIdentity: created, hubRunning: address.running };
  } finally {
    admin.close();
  }
}
