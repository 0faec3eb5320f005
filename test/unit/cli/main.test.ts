import { describe, expect, it } from 'vitest';
import { main } from '../../../runtime/cli/main.js';
import { UsageError, EdgemuError } from '../../../runtime/errors.js';
import type { RegisterCommand } from '../../../runtime/cli/cli-context.js';

async function run(argv: string[], extra: RegisterCommand[] = []) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    shutdownSignal: new AbortController().signal,
    extraCommands: extra,
  });
  return { code, out, err };
}

const failing =
  (error: Error): RegisterCommand =>
  (program) => {
    program.command('boom').action(() => {
      throw error;
    });
  };

describe('the edgemu command', () => {
  it('prints help and exits 0 with --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: edgemu');
  });

  it('prints the package version with --version', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('prints the package version with -V and with --version after a program option', async () => {
    for (const argv of [['-V'], ['--state-dir', 'some-dir', '--version'], ['--log-level=warn', '--version']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    }
  });

  it("hands a subcommand's own --version option to the subcommand instead of printing the program version", async () => {
    const seen: Array<string | undefined> = [];
    const versioned: RegisterCommand = (program) => {
      program
        .command('pin')
        .option('--version <v>', 'a version of something')
        .action((opts: { version?: string }) => void seen.push(opts.version));
    };
    const r = await run(['pin', '--version', '1.2.3'], [versioned]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    const withGlobal = await run(['--state-dir', 'some-dir', 'pin', '--log-level', 'warn', '--version=2.0'], [versioned]);
    expect(withGlobal.code).toBe(0);
    expect(seen).toEqual(['1.2.3', '2.0']);
  });

  it('keeps the version flag a program option: before the subcommand it prints the version', async () => {
    const r = await run(['--version', 'boom'], [failing(new Error('must not run'))]);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses --version after a subcommand that has no such option as a usage error', async () => {
    const r = await run(['boom', '--version'], [failing(new Error('must not run'))]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option '--version'");
  });

  it('exits 2 on an unknown option', async () => {
    const r = await run(['--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option '--no-such-flag'");
  });

  it('exits 2 on an unknown command', async () => {
    const r = await run(['no-such-command']);
    expect(r.code).toBe(2);
  });

  it('exits 2 when a command group is given without its subcommand', async () => {
    const group: RegisterCommand = (program) => {
      const g = program.command('group').description('a group');
      g.command('leaf').action(() => undefined);
    };
    const r = await run(['group'], [group]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage:');
  });

  it('exits 2 when a command raises a UsageError', async () => {
    const r = await run(['boom'], [failing(new UsageError('--device is required'))]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--device is required');
  });

  it('exits 1 with a one-line message, not a stack trace, when a command fails', async () => {
    const r = await run(['boom'], [failing(new EdgemuError('HUB_NOT_RUNNING', 'no hub is running in .edgemu'))]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: no hub is running in .edgemu\n');
  });

  it('exits 1 on an unexpected error and shows no stack at the default log level', async () => {
    const r = await run(['boom'], [failing(new TypeError('x is undefined'))]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: x is undefined\n');
  });
});
