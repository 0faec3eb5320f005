import { Option } from 'commander';
import { globalOptions, type RegisterCommand } from '../cli-context.js';
import { UsageError } from '../../errors.js';

interface IdentityOptions {
  device?: string;
  module?: string;
}

const requireIdentity = (opts: IdentityOptions): { deviceId: string; moduleId: string } => {
  if (!opts.device) throw new UsageError('--device <device> is required');
  if (!opts.module) throw new UsageError('--module <module> is required');
  return { deviceId: opts.device, moduleId: opts.module };
};

/**
 * `edgemu module run|env`: run an IoT Edge module on the host, wired to the hub exactly as
 * its pod would be (same environment builder as the Kubernetes translation), or print that
 * environment for an IDE's debug configuration. Both create the module identity when missing.
 */
export const registerModule: RegisterCommand = (program, ctx) => {
  const module = program.command('module').description('run a module on the host against the hub, or print its environment');

  module
    .command('run')
    .description(
      'start PATH with the environment IoT Edge gives a module; .ts files and folders with index.ts run through tsx, ' +
        '.js files through node, anything else as a command; output is prefixed with the module name; Ctrl-C stops it',
    )
    .argument('<path>', 'a module folder (index.ts/index.js), a .ts/.js file, or any command')
    .argument('[args...]', 'arguments for the program (put them after --)')
    .option('--device <device>', 'edge device id (must exist)')
    .option('--module <module>', 'module id (created when missing; its env comes from the manifest deployed to the device)')
    .addOption(new Option('--stop-timeout <seconds>', 'grace period between SIGTERM and SIGKILL').default('10'))
    .addOption(
      new Option('--node-option <option>', 'a Node.js option for .ts/.js modules, e.g. --node-option=--inspect=9230 (repeatable)')
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .action(async (target: string, args: string[], opts: IdentityOptions & { stopTimeout: string; nodeOption?: string[] }, cmd) => {
      const { deviceId, moduleId } = requireIdentity(opts);
      const stopTimeoutSecs = Number(opts.stopTimeout);
      if (!Number.isFinite(stopTimeoutSecs) || stopTimeoutSecs < 0) throw new UsageError(`--stop-timeout must be a number of seconds, got ${JSON.stringify(opts.stopTimeout)}`);
      const g = globalOptions(cmd);
      const logger = ctx.logger().child({ component: 'module-run', device: deviceId, module: moduleId });
      const { statSync } = await import('node:fs');
      const { fileURLToPath } = await import('node:url');
      const { loadModuleContext, resolveLaunch, runHostModule, hostModuleLogPaths, openHostModuleLog } = await import('../../module-run/index.js');
      const launch = resolveLaunch(
        target,
        args,
        {
          node: process.execPath,
          runTs: fileURLToPath(new URL('../../../bin/run-ts.js', import.meta.url)),
          cwd: process.cwd(),
          nodeOptions: opts.nodeOption,
        },
        {
          kind: (p) => {
            try {
              return statSync(p).isDirectory() ? 'directory' : 'file';
            } catch {
              return 'missing';
            }
          },
        },
      );
      const context = await loadModuleContext({ stateDir: g.stateDir, deviceId, moduleId, logLevel: g.logLevel, logger });
      if (context.createdIdentity) logger.info(`created module identity ${deviceId}/${moduleId}`);
      for (const warning of context.warnings) logger.warn(warning);
      if (ctx.shutdownSignal.aborted) return;
      logger.info({ how: launch.how, file: launch.file, args: launch.args }, `starting module ${moduleId}`);
      // The output is also kept for `edgemu logs` (without the prefix), as a container's log is.
      const prefix = `${moduleId} | `;
      const log = openHostModuleLog(hostModuleLogPaths(g.stateDir, deviceId, moduleId), process.pid);
      const tee = (write: (text: string) => void) => (text: string) => {
        write(text);
        log.line(text.startsWith(prefix) ? text.slice(prefix.length) : text);
      };
      const exit = await runHostModule({
        launch,
        env: context.env,
        prefix,
        out: tee(ctx.out),
        err: tee(ctx.err),
        signal: ctx.shutdownSignal,
        stopTimeoutMs: stopTimeoutSecs * 1000,
        logger,
      }).finally(() => log.close());
      logger.info({ exitCode: exit.exitCode, signal: exit.signal }, `module ${moduleId} exited`);
      ctx.setExitCode(exit.exitCode);
    });

  module
    .command('env')
    .description('print the environment `module run` gives a module (NAME=value lines for an IDE env file; --json for launch.json; --shell for eval)')
    .option('--device <device>', 'edge device id (must exist)')
    .option('--module <module>', 'module id (created when missing)')
    .option('--json', 'print one JSON object (a VS Code launch configuration `env`)')
    .option('--shell', "print `export NAME='value'` lines")
    .action(async (opts: IdentityOptions & { json?: boolean; shell?: boolean }, cmd) => {
      const { deviceId, moduleId } = requireIdentity(opts);
      if (opts.json && opts.shell) throw new UsageError('--json and --shell cannot be combined');
      const g = globalOptions(cmd);
      const logger = ctx.logger().child({ component: 'module-env', device: deviceId, module: moduleId });
      const { loadModuleContext, formatEnv } = await import('../../module-run/index.js');
      const context = await loadModuleContext({ stateDir: g.stateDir, deviceId, moduleId, logLevel: g.logLevel, logger });
      if (context.createdIdentity) logger.info(`created module identity ${deviceId}/${moduleId}`);
      for (const warning of context.warnings) logger.warn(warning);
      ctx.out(formatEnv(context.env, opts.json || g.json ? 'json' : opts.shell ? 'shell' : 'dotenv'));
    });
};
