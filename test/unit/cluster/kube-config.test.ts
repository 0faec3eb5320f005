import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig, resolveKubeTarget } from '../../../runtime/cluster/kube-config.js';
import { renderKubeconfig } from '../../../runtime/cluster/control-plane-commands.js';

describe('loading a kubeconfig for --kubeconfig/--context', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'edgemu-kubeconfig-unit-'));
    file = join(dir, 'kubeconfig');
    const one = renderKubeconfig({ server: 'https://127.0.0.1:1111', caCert: '/ca', clientCert: '/c', clientKey: '/k', contextName: 'one' });
    // a second context in the same file
    writeFileSync(
      file,
      one
        .replace('clusters:\n', 'clusters:\n- name: two\n  cluster:\n    server: https://127.0.0.1:2222\n')
        .replace('contexts:\n', 'contexts:\n- name: two\n  context:\n    cluster: two\n    user: one-admin\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the file’s current context by default', () => {
    expect(loadKubeConfig({ kubeconfig: file }).getCurrentCluster()?.server).toBe('https://127.0.0.1:1111');
  });

  it('switches to the context given with --context', () => {
    expect(loadKubeConfig({ kubeconfig: file, context: 'two' }).getCurrentCluster()?.server).toBe('https://127.0.0.1:2222');
  });

  it('names the known contexts when --context is unknown', () => {
    expect(() => loadKubeConfig({ kubeconfig: file, context: 'three' })).toThrow(/context "three" is not in the kubeconfig \(known: two, one\)/);
  });

  it('says so when the file does not exist', () => {
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'nope') })).toThrow(expect.objectContaining({ code: 'KUBECONFIG_INVALID', message: expect.stringMatching(/does not exist/) }));
  });

  it('rejects a file that is not a kubeconfig', () => {
    const bad = join(dir, 'bad');
    writeFileSync(bad, '{{{ not yaml');
    expect(() => loadKubeConfig({ kubeconfig: bad })).toThrow(expect.objectContaining({ code: 'KUBECONFIG_INVALID' }));
  });

  it('prefers explicit flags, then a recorded local cluster, then client defaults', async () => {
    expect(await resolveKubeTarget({ kubeconfig: file, context: 'two', stateDir: dir })).toEqual({ kubeconfig: file, context: 'two' });
    expect(await resolveKubeTarget({ stateDir: dir })).toEqual({ kubeconfig: undefined, context: undefined });
    mkdirSync(join(dir, 'clusters', 'edgemu'), { recursive: true });
    writeFileSync(join(dir, 'clusters', 'edgemu', 'cluster.json'), JSON.stringify({ provider: 'local', kubeconfig: file, context: 'one' }));
    expect(await resolveKubeTarget({ stateDir: dir })).toEqual({ kubeconfig: file, context: 'one' });
  });
});
