import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const run = (...argv: string[]) => runCli(argv, AbortSignal.abort());

// `main` imports each command's modules on first use (the hub store, the cluster code); on a
// loaded 2-core machine that first import alone can take over vitest's 5 s default.
describe('edgemu up / status argument handling', { timeout: 30_000 }, () => {
  it('refuses --deployment without --device as a usage error', async () => {
    const r = await run('up', '--deployment', 'deployments/examples/temperature-filter.deployment.json');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--deployment needs --device/);
  });

  it.each<[string, string[], RegExp]>([
    ['--devices 0', ['--devices', '0'], /--devices must be at least 1/],
    ['a huge --devices', ['--devices', '5000000'], /more than 1000/],
    ['--devices that is not a number', ['--devices', 'ten'], /whole number from 1 to 1000/],
    ['a --device-prefix IoT Hub refuses', ['--devices', '3', '--device-prefix', 'bad prefix/'], /--device-prefix .* IoT Hub refuses/],
    ['malformed --tags', ['--devices', '3', '--tags', '{env:'], /--tags must be a JSON object/],
    ['--devices with --device', ['--devices', '3', '--device', 'edge-1'], /does not go with --device/],
    ['--tags without --devices', ['--tags', '{"env":"prod"}'], /go with --devices N/],
    ['--devices 2 with the one-device azure-stack-edge layout', ['--devices', '2', '--layout', 'azure-stack-edge'], /azure-stack-edge holds one edge device/],
  ])('refuses %s as a usage error before starting anything', async (_what, args, message) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-up-'));
    dirs.push(dir);
    const r = await run('--state-dir', path.join(dir, 'state'), 'up', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(existsSync(path.join(dir, 'state'))).toBe(false);
  });

  it('refuses an unknown --layout as a usage error before starting anything', async () => {
    const r = await run('up', '--layout', 'ase');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--layout.*'ase'.*default, azure-stack-edge/s);
  });

  it('refuses --kubeconfig with --cluster local as a usage error', async () => {
    const r = await run('up', '--cluster', 'local', '--kubeconfig', '/nonexistent');
    expect(r.code).toBe(2);
  });

  it('fails on an invalid manifest before starting anything', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-up-'));
    dirs.push(dir);
    const r = await run('--state-dir', path.join(dir, 'state'), 'up', '--deployment', 'deployments/invalid/agent-schema-version-unsupported.json', '--device', 'd');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/schemaVersion|412/);
    expect(existsSync(path.join(dir, 'state', 'clusters'))).toBe(false);
  });

  it('status fails clearly on a state dir without edgemu state, and does not create one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-status-'));
    dirs.push(dir);
    const stateDir = path.join(dir, 'missing');
    const r = await run('--state-dir', stateDir, 'status', '--device', 'edge-1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no edgemu state in .*missing/);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('status needs --device and fails clearly for an unknown device', async () => {
    expect((await run('status')).code).toBe(2);
    const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-status-'));
    dirs.push(dir);
    const { openHubStore } = await import('../../../runtime/hub/index.js');
    openHubStore({ stateDir: dir }).close();
    const r = await run('--state-dir', dir, 'status', '--device', 'nope');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/device nope does not exist/);
  });
});
