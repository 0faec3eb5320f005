import { Command, Option } from 'commander';
import { createRequire } from 'node:module';
import type { CliContext, RegisterCommand } from './cli-context.js';
import { LOG_LEVELS } from '../log/create-logger.js';
import { commands } from './commands/index.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/**
 * Whether the arguments name a subcommand before any `-V`/`--version` of the program itself
 * (`edgemu --state-dir s up --version 2`: yes; `edgemu --version`, `edgemu -V up`: no). Program
 * options and their values are skipped on the way; `--` ends the search.
 */
export function subcommandBeforeVersion(program: Command, args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return false;
    const flag = arg.startsWith('--') ? arg.split('=')[0]! : arg;
    const option = program.options.find((o) => o.long === flag || o.short === flag);
    if (option) {
      if (option.long === '--version') return false;
      if ((option.required || option.optional) && !arg.includes('=')) i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return program.commands.some((c) => c.name() === arg || c.aliases().includes(arg));
  }
  return false;
}

/**
 * The `edgemu` program: its `-V, --version` counts only before the subcommand, so a subcommand's
 * own `--version` option reaches the subcommand (commander otherwise takes a program option
 * wherever it stands on the line, which also keeps `--state-dir`/`--log-level` usable after the
 * subcommand; commander's `enablePositionalOptions` would end that).
 */
class EdgemuProgram extends Command {
  override parseOptions(argv: string[]): ReturnType<Command['parseOptions']> {
    if (!subcommandBeforeVersion(this, argv)) return super.parseOptions(argv);
    const options = this.options as Option[];
    const at = options.findIndex((o) => o.long === '--version');
    if (at < 0) return super.parseOptions(argv);
    const [version] = options.splice(at, 1);
    try {
      return super.parseOptions(argv);
    } finally {
      options.splice(at, 0, version!);
    }
  }
}

/** Builds the `edgemu` command tree. Each subcommand lives in `commands/<name>.ts`. */
export function buildProgram(ctx: CliContext, extra: readonly RegisterCommand[] = []): Command {
  const program = new EdgemuProgram('edgemu')
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
