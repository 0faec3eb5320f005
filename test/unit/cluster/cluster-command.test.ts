import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../runtime/cli/main.js';

// The CLI paths that need no cluster: usage errors, and the "nothing recorded" answers.
const stateDir = mkdtempSync(join(tmpdir(), 'edgemu-cluster-cli-'));
async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(['--state-dir', stateDir, '--log-level', 'silent', ...argv], { out: (s) => void (out += s), err: (s) => void (err += s), shutdownSignal: new AbortController().signal });
  return { code, out, err };
}

describe('edgemu cluster', () => {
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it.each([
    [['cluster', 'up', '--provider', 'docker'], /argument 'docker' is invalid/],
    [['cluster', 'up', '--nodes', 'docker'], /argument 'docker' is invalid.*real, simulated, auto/],
    [['cluster', 'up', '--timeout', 'soon'], /--timeout must be a positive number/],
    [['cluster', 'up', '--provider', 'kind', '--foreground'], /--foreground works with --provider local only/],
    [['cluster', 'user', 'grant', 'alice'], /required option '--namespace <ns>' not specified/],
    [['cluster', 'user', 'create', 'alice', '--days', 'soon'], /--days must be a positive whole number, got "soon"/],
    [['cluster', 'user', 'create'], /missing required argument 'name'/],
    [['cluster', 'share', 'create', 'media'], /required option '--path <dir>' not specified/],
    [['cluster', 'namespace', 'delete'], /missing required argument 'name'/],
    [['cluster', 'upgrade'], /required option '--kubernetes-version <version>' not specified/],
    [['cluster', 'upgrade', '--kubernetes-version', 'v1.37.2', '--timeout', '0'], /--timeout must be a positive number/],
    [['cluster', 'binaries', '--kubernetes-version', 'v1.99.0', '--verify-only', '--nodes', 'simulated'], /--kubernetes-version must be one of v1\.36\.3, v1\.37\.2, got "v1\.99\.0"/],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it.each([
    [['cluster', 'status', '--name', '../x']],
    [['cluster', 'up', '--name', 'BAD_NAME']],
    [['cluster', 'down', '--name', 'a/b']],
    [['cluster', 'kubeconfig', '--name', '-x']],
  ])('rejects an invalid --name as a usage error (exit 2): %j', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/option '--name <name>' argument '.*' is invalid\. use 1-40 lowercase letters/);
  });

  it('reports "not running" with exit 1 when no cluster is recorded', async () => {
    const r = await run(['cluster', 'status']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('cluster "edgemu": not running');
    const json = await run(['cluster', 'status', '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ name: 'edgemu', exists: false, running: false });
  });

  it('fails kubeconfig with a hint when no cluster is recorded', async () => {
    const r = await run(['cluster', 'kubeconfig', '--name', 'other']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no cluster named "other".*edgemu cluster up --name other/);
  });

  it('treats down of an unknown cluster as a no-op', async () => {
    const r = await run(['cluster', 'down']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('no cluster named "edgemu" was running');
  });

  it('refuses to upgrade a cluster that is not recorded, before building anything (exit 1)', async () => {
    const r = await run(['cluster', 'upgrade', '--kubernetes-version', 'v1.37.2', '--name', 'absent']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no local cluster is recorded in .*absent; start one with `edgemu cluster up`/);
    expect(r.err).not.toContain('ensuring');
  });

  it('explains that kind is unavailable and names the other providers', async () => {
    const r = await run(['cluster', 'up', '--provider', 'kind', '--name', 'k']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/kind CLI is not available.*--provider local/);
  });
});
