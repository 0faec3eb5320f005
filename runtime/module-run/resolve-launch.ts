import path from 'node:path';
import { UsageError } from '../errors.js';
import { ModuleRunError } from './module-run-error.js';

/** What PATH turned out to be, as far as the file system says. */
export type PathKind = 'file' | 'directory' | 'missing';

/** The file-system questions launch resolution asks, injected so the rules stay pure. */
export interface LaunchFs {
  kind(p: string): PathKind;
}

/** A resolved program: spawn `file` with `args`; `how` explains the choice in logs and docs. */
export interface Launch {
  file: string;
  args: string[];
  how: 'typescript' | 'javascript' | 'command';
}

export interface LaunchContext {
  /** The Node.js binary (process.execPath). */
  node: string;
  /**
   * Options for Node.js itself (`--inspect=9230`, `--enable-source-maps`), placed before the
   * script so a module started by edgemu can be debugged. Only for .ts/.js programs.
   */
  nodeOptions?: readonly string[] | undefined;
  /** edgemu's `bin/run-ts.js`, which registers tsx and imports a .ts entry point. */
  runTs: string;
  /** Resolves relative PATHs. */
  cwd: string;
}

const TS = /\.(ts|mts|cts|tsx)$/;
const JS = /\.(js|mjs|cjs)$/;
/** Entry points tried, in order, when PATH is a directory (a module folder like `modules/filter`). */
export const DIRECTORY_ENTRY_POINTS = ['index.ts', 'index.mts', 'index.js', 'index.mjs'] as const;

/**
 * How `edgemu module run PATH [-- ARGS]` starts PATH:
 * - a `.ts`/`.mts`/`.cts`/`.tsx` file: `node bin/run-ts.js FILE ARGS` (tsx, no build step — how
 *   the sample modules run);
 * - a `.js`/`.mjs`/`.cjs` file: `node FILE ARGS`;
 * - a directory: its `index.ts`, `index.mts`, `index.js` or `index.mjs`, by the rules above;
 * - any other existing file: executed as is (a script with a shebang, a binary);
 * - a bare name without `/` that is not a file here (`python3`, `dotnet`): looked up on PATH.
 * Anything else is `MODULE_RUN_PATH_NOT_FOUND`. `nodeOptions` go before the script of .ts/.js
 * programs; for a command they are a usage error (the command takes its own flags).
 */
export function resolveLaunch(target: string, args: readonly string[], ctx: LaunchContext, fs: LaunchFs): Launch {
  if (target.trim() === '') throw new ModuleRunError('MODULE_RUN_PATH_NOT_FOUND', 'PATH is empty');
  const absolute = path.resolve(ctx.cwd, target);
  const kind = fs.kind(absolute);
  if (kind === 'directory') {
    const entry = DIRECTORY_ENTRY_POINTS.map((name) => path.join(absolute, name)).find((p) => fs.kind(p) === 'file');
    if (!entry) {
      throw new ModuleRunError('MODULE_RUN_PATH_NOT_FOUND', `directory ${target} has no entry point (looked for ${DIRECTORY_ENTRY_POINTS.join(', ')})`);
    }
    return forFile(entry, args, ctx);
  }
  if (kind === 'file') return forFile(absolute, args, ctx);
  const looksLikePath = target.includes('/') || target.includes(path.sep) || TS.test(target) || JS.test(target);
  if (looksLikePath) throw new ModuleRunError('MODULE_RUN_PATH_NOT_FOUND', `${target} does not exist`);
  return commandLaunch(target, args, ctx);
}

function forFile(file: string, args: readonly string[], ctx: LaunchContext): Launch {
  const nodeOptions = ctx.nodeOptions ?? [];
  if (TS.test(file)) return { file: ctx.node, args: [...nodeOptions, ctx.runTs, file, ...args], how: 'typescript' };
  if (JS.test(file)) return { file: ctx.node, args: [...nodeOptions, file, ...args], how: 'javascript' };
  return commandLaunch(file, args, ctx);
}

function commandLaunch(file: string, args: readonly string[], ctx: LaunchContext): Launch {
  if ((ctx.nodeOptions ?? []).length > 0) {
    throw new UsageError(`Node.js options apply to .ts/.js modules only; ${file} is started as a command (pass its own flags after --)`);
  }
  return { file, args: [...args], how: 'command' };
}
