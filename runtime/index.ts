// Public API of edgemu as a library. Each area exports through its own barrel.
export * from './errors.js';
export * from './clock.js';
export * from './manifest/model.js';
export { toK8sName, toLabelValue } from './manifest/k8s-name.js';
