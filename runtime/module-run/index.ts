/**
 * Running an IoT Edge module on the host against edgemu's hub (docs/modules.md): the module
 * environment (same builder as the Kubernetes translation), launch rules for PATH, and the
 * process runner behind `edgemu module run|env`.
 */
export { ModuleRunError, type ModuleRunErrorCode } from './module-run-error.js';
export { hostModuleEnvironment, runtimeLogLevelOf, type HostModuleEnvironment, type HostModuleEnvironmentInput } from './host-module-environment.js';
export { loadModuleContext, STATE_DIR_CA_FILE, type ModuleContext, type ModuleContextOptions } from './load-module-context.js';
export { resolveLaunch, DIRECTORY_ENTRY_POINTS, type Launch, type LaunchContext, type LaunchFs, type PathKind } from './resolve-launch.js';
export { createLinePrefixer, DEFAULT_MAX_LINE_LENGTH, type LinePrefixer } from './line-prefixer.js';
export { formatEnv, shellQuote, type EnvFormat } from './format-env.js';
export { runHostModule, type RunHostModuleOptions, type HostModuleExit } from './run-host-module.js';
export { hostModuleLogPaths, openHostModuleLog, readRunningHostModuleLog, type HostModuleLogPaths, type HostModuleLogWriter } from './host-module-log.js';
