// Runs the query tests' Python scripts (./python) with the unmodified azure-iot-hub service SDK,
// from the shared cached venv (test/helpers/python-sdk.ts).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonSdk } from '../../helpers/python-sdk.js';

const run = promisify(execFile);

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
