import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../runtime/cli/main.js';
import { openHubStore } from '../../../runtime/hub/index.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const fixture = (name: string) => path.join(import.meta.dirname, 'fixtures', name);
const manifest = JSON.parse(readFileSync(path.join(repo, 'deployments/examples/sample-modules.deployment.json'), 'utf8'));

let stateDir: string;

beforeAll(() => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-module-run-'));
  const store = openHubStore({ stateDir });
  try {
    store.identities.createDevice('edge-1', { edge: true });
    // What `edgemu deploy` leaves behind: the manifest's $edgeAgent section as desired properties.
    store.twins.replaceDesired({ deviceId: 'edge-1', moduleId: '$edgeAgent' }, manifest.modulesContent.$edgeAgent['properties.desired']);
  } finally {
    store.close();
  }
});

afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/** Runs the CLI in this process, as `edgemu --state-dir DIR --log-level silent …`. */
function cli(argv: string[], signal = new AbortController().signal) {
  const result = { out: '', err: '', code: undefined as number | undefined };
  const done = main(['--state-dir', stateDir, '--log-level', 'silent', ...argv], {
    out: (s) => void (result.out += s),
    err: (s) => void (result.err += s),
    shutdownSignal: signal,
  }).then((code) => (result.code = code));
  return { result, done };
}

/** Alive and not a zombie (an orphan's zombie may linger where PID 1 does not reap). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const modulePrefixed = (out: string, module: string) => out.split('\n').filter((l) => l.startsWith(`${module} | `)).map((l) => l.slice(module.length + 3));

describe('edgemu module run (processes)', () => {
  it('streams stdout and stderr line by line with the module name as prefix and exits with the program exit code', async () => {
    const { result, done } = cli(['module', 'run', '--device', 'edge-1', '--module', 'echo', 'sh', '--', '-c', 'echo one; echo two >&2; printf tail; exit 3']);
    await done;
    expect(result.code).toBe(3);
    expect(result.out).toBe('echo | one\necho | tail\n');
    expect(result.err).toBe('echo | two\n');
  });

  it('gives the program the same environment `module env` prints, with the manifest env, and passes ARGS', async () => {
    const env = cli(['module', 'env', '--device', 'edge-1', '--module', 'sensor', '--json']);
    await env.done;
    expect(env.result.code).toBe(0);
    const printed = JSON.parse(env.result.out) as Record<string, string>;
    expect(printed.SEND_INTERVAL).toBe('5');
    expect(printed.TEMPERATURE_NOISE).toBe('0');

    for (const program of ['print-env.mjs', 'print-env.ts']) {
      const run = cli(['module', 'run', '--device', 'edge-1', '--module', 'sensor', fixture(program), '--', '--flag', 'value']);
      await run.done;
      expect(run.result.code).toBe(0);
      const [line] = modulePrefixed(run.result.out, 'sensor');
      const seen = JSON.parse(line!) as { env: Record<string, string>; argv: string[] };
      expect(seen.argv).toEqual(['--flag', 'value']);
      for (const [name, value] of Object.entries(printed)) expect(seen.env[name], name).toBe(value);
    }
  });

  it('passes --node-option flags to Node.js for .ts and .js modules, so they can be debugged', async () => {
    for (const program of ['print-env.mjs', 'print-env.ts']) {
      const run = cli(['module', 'run', '--device', 'edge-1', '--module', 'sensor', '--node-option=--max-old-space-size=96', '--node-option', '--no-warnings', fixture(program)]);
      await run.done;
      expect(run.result.code).toBe(0);
      const seen = JSON.parse(modulePrefixed(run.result.out, 'sensor')[0]!) as { execArgv: string[] };
      expect(seen.execArgv).toEqual(expect.arrayContaining(['--max-old-space-size=96', '--no-warnings']));
    }
    const inspect = cli(['module', 'run', '--device', 'edge-1', '--module', 'sensor', '--node-option=--inspect=127.0.0.1:0', fixture('print-env.mjs')]);
    await inspect.done;
    expect(inspect.result.err).toMatch(/^sensor \| Debugger listening on ws:\/\/127\.0\.0\.1:\d+\//m);
  });

  it('prints --shell output that a POSIX shell evaluates back to exactly the same values', async () => {
    const json = cli(['module', 'env', '--device', 'edge-1', '--module', 'sensor', '--json']);
    const shell = cli(['module', 'env', '--device', 'edge-1', '--module', 'sensor', '--shell']);
    await Promise.all([json.done, shell.done]);
    const expected = JSON.parse(json.result.out) as Record<string, string>;
    const names = Object.keys(expected);
    const script = `${shell.result.out}\n${names.map((n) => `printf '%s\\0' "$${n}"`).join('\n')}`;
    const { stdout } = await execa('sh', ['-c', script], { env: {}, extendEnv: false });
    expect(Object.fromEntries(stdout.split('\0').slice(0, -1).map((v, i) => [names[i], v]))).toEqual(expected);
  });

  it('creates the module identity when it is missing', async () => {
    const { result, done } = cli(['module', 'run', '--device', 'edge-1', '--module', 'brand-new', 'true']);
    await done;
    expect(result.code).toBe(0);
    const store = openHubStore({ stateDir });
    try {
      expect(store.identities.get({ deviceId: 'edge-1', moduleId: 'brand-new' })).toBeDefined();
    } finally {
      store.close();
    }
  });

  it('stops the program and everything it started when asked to stop, and exits with its code', async () => {
    const stop = new AbortController();
    const { result, done } = cli(['module', 'run', '--device', 'edge-1', '--module', 'graceful', fixture('graceful.mjs')], stop.signal);
    const ready = await vi.waitFor(
      () => {
        const m = /graceful \| ready (\d+) (\d+)/.exec(result.out);
        if (!m) throw new Error('not ready yet');
        return { child: Number(m[1]), grandchild: Number(m[2]) };
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(isAlive(ready.grandchild)).toBe(true);
    stop.abort();
    await done;
    expect(result.code).toBe(0);
    expect(result.out).toContain('graceful | got SIGTERM');
    expect(isAlive(ready.child)).toBe(false);
    await vi.waitFor(() => expect(isAlive(ready.grandchild)).toBe(false), { timeout: 5_000, interval: 50 });
  });

  it('kills a program that ignores SIGTERM once the stop timeout has passed', async () => {
    const stop = new AbortController();
    const { result, done } = cli(['module', 'run', '--device', 'edge-1', '--module', 'stubborn', '--stop-timeout', '0.3', fixture('stubborn.mjs')], stop.signal);
    await vi.waitFor(() => expect(result.out).toContain('stubborn | ready'), { timeout: 15_000, interval: 50 });
    stop.abort();
    await done;
    expect(result.out).toContain('stubborn | ignoring SIGTERM');
    expect(result.code).toBe(137);
  });

  it.each([
    ['a program that does not exist', ['no-such-program-edgemu'], 1, /cannot start no-such-program-edgemu/],
    ['a missing path', ['./no/such/module.ts'], 1, /does not exist/],
    ['an unknown device', ['--device', 'nope', 'true'], 1, /device nope does not exist/],
    ['a system module', ['--module', '$edgeHub', 'true'], 1, /played by edgemu itself/],
    ['a bad stop timeout', ['--stop-timeout', 'soon', 'true'], 2, /--stop-timeout/],
    ['Node.js options for a command', ['--node-option=--inspect', 'true'], 2, /Node.js options apply to .ts\/.js modules only/],
  ])('fails clearly for %s', async (_what, args, code, message) => {
    const argv = ['module', 'run', '--device', 'edge-1', '--module', 'm', ...args];
    const { result, done } = cli(argv);
    await done;
    expect(result.code).toBe(code);
    expect(result.err).toMatch(message);
  });

  it('fails clearly, without starting anything, when the state dir holds no usable store', async () => {
    const broken = mkdtempSync(path.join(tmpdir(), 'edgemu-module-run-broken-'));
    try {
      writeFileSync(path.join(broken, 'hub.db'), 'this is not a SQLite database\n'.repeat(100));
      let err = '';
      const code = await main(['--state-dir', broken, 'module', 'run', '--device', 'edge-1', '--module', 'm', fixture('print-env.mjs')], {
        out: () => undefined,
        err: (s) => void (err += s),
        shutdownSignal: new AbortController().signal,
      });
      expect(code).toBe(1);
      expect(err).toMatch(/cannot open the hub store .*: file is not a database/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('stops the module when the edgemu process gets Ctrl-C (SIGINT)', async () => {
    const edgemu = execa(
      process.execPath,
      [path.join(repo, 'bin/edgemu.js'), '--state-dir', stateDir, '--log-level', 'silent', 'module', 'run', '--device', 'edge-1', '--module', 'graceful', fixture('graceful.mjs')],
      { reject: false, buffer: false, stdout: 'pipe', stderr: 'pipe' },
    );
    let out = '';
    edgemu.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      const ready = await vi.waitFor(
        () => {
          const m = /graceful \| ready (\d+) (\d+)/.exec(out);
          if (!m) throw new Error('not ready yet');
          return { child: Number(m[1]), grandchild: Number(m[2]) };
        },
        { timeout: 20_000, interval: 50 },
      );
      edgemu.kill('SIGINT');
      const exit = await edgemu;
      expect(exit.exitCode).toBe(0);
      expect(out).toContain('graceful | got SIGTERM');
      await vi.waitFor(() => expect([isAlive(ready.child), isAlive(ready.grandchild)]).toEqual([false, false]), { timeout: 5_000, interval: 50 });
    } finally {
      edgemu.kill('SIGKILL');
    }
  });
});
