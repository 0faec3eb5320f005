// The unmodified Python azure-iot-hub service SDK for integration tests: a venv under
// ~/.cache/edgemu/python (built once from PyPI with the ordinary pip, then reused), and a runner
// for the scripts in ./python. azure-iot-hub 2.7.0 imports `six` without declaring it, so it is
// installed next to it. (Test helper of the query tests; another helper may build the same venv.)
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SDK = 'azure-iot-hub==2.7.0';
const VENV = path.join(process.env.EDGEMU_CACHE_DIR ?? path.join(homedir(), '.cache', 'edgemu'), 'python', 'azure-iot-hub-2.7.0');

/** The venv's python, building the venv first when it is missing (a minute or two on first use). */
export async function ensurePythonSdk(): Promise<string> {
  const python = path.join(VENV, 'bin', 'python');
  if (existsSync(path.join(VENV, '.complete'))) return python;
  // A venv embeds its own path, so it is built in place; `.complete` marks a finished build.
  rmSync(VENV, { recursive: true, force: true });
  mkdirSync(path.dirname(VENV), { recursive: true });
  try {
    await run('python3', ['-m', 'venv', VENV]);
    await run(path.join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', SDK, 'six'], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    rmSync(VENV, { recursive: true, force: true });
    throw new Error(`cannot build the Python SDK venv in ${VENV} (needs python3 with venv, and PyPI): ${(error as Error).message}`, { cause: error });
  }
  writeFileSync(path.join(VENV, '.complete'), `${SDK}\n`);
  return python;
}

/** Runs `python/<script>` with the service connection string and the hub's CA; parses its one JSON line. */
export async function runPythonScript(script: string, args: readonly string[], hub: { connectionString: string; ca: string }): Promise<unknown> {
  const python = await ensurePythonSdk();
  const caFile = path.join(tmpdir(), `edgemu-py-ca-${process.pid}.pem`);
  writeFileSync(caFile, hub.ca);
  const { stdout } = await run(python, [path.join(import.meta.dirname, 'python', script), ...args], {
    env: { ...process.env, EDGEMU_CS: hub.connectionString, REQUESTS_CA_BUNDLE: caFile },
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');
}
