import type { RegisterCommand } from '../cli-context.js';
import { registerValidate } from './validate.js';
import { registerCheck } from './check.js';
import { registerHub } from './hub.js';
import { registerIdentity } from './identity.js';
import { registerConnectionString } from './connection-string.js';
import { registerClusterCommand } from './cluster.js';
import { registerModule } from './module.js';
import { registerTranslate } from './translate.js';
import { registerDeploy } from './deploy.js';
import { registerDeployment } from './deployment.js';
import { registerTwin } from './twin.js';
import { registerQuery } from './query.js';
import { registerMethods } from './methods.js';
import { registerMonitor } from './monitor.js';
import { registerC2d } from './c2d.js';
import { registerRoute } from './route.js';
import { registerUp } from './up.js';
import { registerStatus } from './status.js';
import { registerLogs } from './logs.js';
import { registerImage } from './image.js';
import { registerWeb } from './web.js';

/**
 * Every `edgemu` subcommand, in help order. One line per command module; the module adds
 * its subcommand(s) and imports its heavy dependencies lazily inside the action.
 */
export const commands: readonly RegisterCommand[] = [
  registerValidate,
  registerCheck,
  registerHub,
  registerUp,
  registerStatus,
  registerWeb,
  registerLogs,
  registerIdentity,
  registerConnectionString,
  registerClusterCommand,
  registerModule,
  registerTranslate,
  registerImage,
  registerDeploy,
  registerDeployment,
  registerTwin,
  registerQuery,
  registerMethods,
  registerMonitor,
  registerC2d,
  registerRoute,
];
