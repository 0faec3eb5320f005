import { EdgemuError } from '../errors.js';

/**
 * Stable codes of `edgemu module run|env` failures:
 * - `MODULE_RUN_DEVICE_NOT_FOUND`: the edge device does not exist in the state dir's registry.
 * - `MODULE_RUN_SYSTEM_MODULE`: `$edgeAgent`/`$edgeHub` are played by edgemu itself and cannot be run on the host.
 * - `MODULE_RUN_PATH_NOT_FOUND`: PATH names neither a file, a directory with an entry point, nor a command.
 * - `MODULE_RUN_SPAWN_FAILED`: the program could not be started (not executable, not on PATH).
 */
export type ModuleRunErrorCode = 'MODULE_RUN_DEVICE_NOT_FOUND' | 'MODULE_RUN_SYSTEM_MODULE' | 'MODULE_RUN_PATH_NOT_FOUND' | 'MODULE_RUN_SPAWN_FAILED';

/** A module that cannot be prepared or started on the host. */
export class ModuleRunError extends EdgemuError {
  declare readonly code: ModuleRunErrorCode;

  constructor(code: ModuleRunErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
  }

  override get name(): string {
    return 'ModuleRunError';
  }
}
