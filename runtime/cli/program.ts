import { Command, Option } from 'commander';
import { createRequire } from 'node:module';
import type { CliContext, RegisterCommand } from './cli-context.js';
import { LOG_LEVELS } from '../log/create-logger.js';
import { commands } from './commands/index.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** Builds the `edgemu` command tree. Each subcommand lives in `commands/<name>.ts`. */
export function buildProgram(ctx: CliContext, extra: readonly RegisterCommand[] = []): Command {
  const program = new Command('edgemu')
    .description('An IoT Edge-style module runtime emulator: embedded IoT Hub, edge agent on Kubernetes, CLI.')
    .version(version, '-V, --version')
    .addOption(new Option('--state-dir <dir>', 'directory holding the hub state, CA and credentials').default('.edgemu').env('EDGEMU_STATE_DIR'))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as string[]).default('info').env('EDGEMU_LOG_LEVEL'))
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) })
    .exitOverride();
  for (const register of [...commands, ...extra]) register(program, ctx);
  // Every subcommand reports usage errors the same way (exit code 2, set in main.ts).
  for (const sub of program.commands) propagate(sub, ctx);
  return program;
}

function propagate(command: Command, ctx: CliContext): void {
  command.exitOverride().showHelpAfterError('(run with --help for usage)').configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) });
  for (const sub of command.commands) propagate(sub, ctx);
}
