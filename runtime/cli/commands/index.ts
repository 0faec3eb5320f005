import type { RegisterCommand } from '../cli-context.js';
import { registerValidate } from './validate.js';
import { registerHub } from './hub.js';
import { registerIdentity } from './identity.js';
import { registerConnectionString } from './connection-string.js';
import { registerClusterCommand } from './cluster.js';
import { registerModule } from './module.js';
import { registerTranslate } from './translate.js';
import { registerRoute } from './route.js';

/**
 * Every `edgemu` subcommand, in help order. One line per command module; the module adds
 * its subcommand(s) and imports its heavy dependencies lazily inside the action.
 */
export const commands: readonly RegisterCommand[] = [
  registerValidate,
  registerHub,
  registerIdentity,
  registerConnectionString,
  registerClusterCommand,
  registerModule,
  registerTranslate,
  registerRoute,
];
