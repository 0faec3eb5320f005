/** `edgemu hub` in its own process, for the benchmarks (test/helpers/hub-process.ts has the one copy). */
export { startHubProcess, stopHubProcess, type HubProcess } from '../test/helpers/hub-process.js';
