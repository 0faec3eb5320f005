import type { HubStore } from '../hub/index.js';
import { validateManifest } from '../manifest/index.js';
import type { ValidationIssue } from '../manifest/index.js';
import { apiErrors } from './service-api-error.js';

/** The result of applying a deployment manifest to one device's module twins. */
export type ApplyOutcome =
  | { applied: true; modules: string[]; warnings: string[] }
  | { applied: false; status: number; errors: ValidationIssue[]; warnings: string[] };

/**
 * IoT Hub's `applyConfigurationContent` for an edge device (learn.microsoft.com/rest/api/iothub/service/configuration/apply-on-edge-device), the
 * function behind `POST /devices/{id}/applyConfigurationContent` and `edgemu deploy` (and
 * reusable by `edgemu up --deployment`): the manifest is validated first with the same
 * validator as `edgemu validate`; when it has any problem nothing is written and every
 * problem is returned. Otherwise, in ONE store transaction, each listed module's identity is
 * created when missing and its twin's desired section is REPLACED by `properties.desired`
 * (bumping `$version`); connected clients get the difference as a desired patch after the
 * commit. Throws 404 when the device does not exist and 400 when it is not an IoT Edge device.
 */
export function applyConfigurationContent(store: HubStore, deviceId: string, content: unknown): ApplyOutcome {
  const device = store.identities.get({ deviceId });
  if (!device) throw apiErrors.deviceNotFound(deviceId);
  if (!device.isEdge) throw apiErrors.badRequest(`Device ${deviceId} is not an IoT Edge device; configuration content applies to edge devices only.`);
  const result = validateManifest(content);
  if (result.status !== 200) return { applied: false, status: result.status, errors: result.errors, warnings: result.warnings };
  const modules = writeModulesContent(store, deviceId, result.value.modulesContent);
  return { applied: true, modules, warnings: result.warnings };
}

/**
 * Writes validated module content to a device's module twins in ONE store transaction: each
 * listed module's identity is created when missing and its twin's desired section is REPLACED
 * (bumping `$version`; connected clients get the difference after the commit). The one write
 * path of deployments: `applyConfigurationContent`, `edgemu deploy`/`up --deployment` and the
 * automatic deployments all go through it. Returns the module ids written.
 */
export function writeModulesContent(store: HubStore, deviceId: string, modulesContent: Record<string, { 'properties.desired': unknown }>): string[] {
  const modules = Object.keys(modulesContent);
  store.transaction(() => {
    for (const moduleId of modules) {
      store.identities.ensureModule(deviceId, moduleId);
      store.twins.replaceDesired({ deviceId, moduleId }, modulesContent[moduleId]!['properties.desired']);
    }
  });
  return modules;
}

/** One line per problem, `path: message`, for error bodies and the CLI. */
export function describeIssues(errors: readonly ValidationIssue[]): string {
  return errors.map((e) => `${e.path || '/'}: ${e.message}`).join('\n');
}
