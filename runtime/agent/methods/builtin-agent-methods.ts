import type { AgentMethodTable } from './agent-method.js';
import { getModuleLogs } from './get-module-logs.js';
import { ping } from './ping.js';
import { restartModule } from './restart-module.js';

/** edgeAgent's own methods that edgemu implements here (the uploads come in their own table). */
export const builtinAgentMethods: AgentMethodTable = {
  ping,
  restartmodule: restartModule,
  getmodulelogs: getModuleLogs,
};
