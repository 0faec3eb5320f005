/**
 * The Python Azure IoT SDKs for the hub's integration tests: a virtual environment with
 * `azure-iot-device` and `azure-iot-hub` from PyPI, made by pip on first use and cached by version
 * (test/helpers/sdk-cache.ts). Needs python3 (3.8+) with the venv module; warm runs reuse it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cachedBuild } from './sdk-cache.js';

export const PYTHON_DEVICE_SDK = { name: 'azure-iot-device', version: '2.14.0' } as const;
export const PYTHON_SERVICE_SDK = { name: 'azure-iot-hub', version: '2.7.0' } as const;
/** azure-iot-hub 2.7.0 imports `six` (iothub_amqp_client.py) without declaring it. */
const UNDECLARED = ['six==1.17.0'];

/** The probe programs (device_probe.py, service_probe.py). */
export const PYTHON_PROGRAMS = fileURLToPath(new URL('./sdk-programs/python/', import.meta.url));

/** The venv's python executable, creating the venv when it is not cached yet. */
export async function ensurePythonSdk(): Promise<string> {
  const python = process.env.EDGEMU_TEST_PYTHON ?? 'python3';
  const { stdout: pyVersion } = await execa(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
  const key = `py${pyVersion.trim()}-${PYTHON_DEVICE_SDK.name}-${PYTHON_DEVICE_SDK.version}-${PYTHON_SERVICE_SDK.name}-${PYTHON_SERVICE_SDK.version}-${UNDECLARED.join('-')}`;
  const dir = await cachedBuild('python-sdk', key, async (venv) => {
    await execa(python, ['-m', 'venv', venv]);
    await execa(path.join(venv, 'bin', 'python'), [
      '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet',
      `${PYTHON_DEVICE_SDK.name}==${PYTHON_DEVICE_SDK.version}`,
      `${PYTHON_SERVICE_SDK.name}==${PYTHON_SERVICE_SDK.version}`,
      ...UNDECLARED,
    ]);
  });
  return path.join(dir, 'bin', 'python');
}
