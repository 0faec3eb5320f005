import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const examples = path.join(repo, 'deployments/examples');
const invalid = path.join(repo, 'deployments/invalid');
const expectations = path.join(repo, 'deployments/check-expectations.json');
const manifestCount = [examples, invalid].reduce((n, d) => n + readdirSync(d).filter((f) => f.endsWith('.json')).length, 0);
let dir: string;

const run = (argv: string[]) => runCli(argv);

/** The temperature-filter example with one change to its sensor module (sensor = modules.SimulatedTemperatureSensor). */
type Json = Record<string, unknown>;

function variant(name: string, change: (sensor: Json & { settings: Json }) => void): string {
  const doc = JSON.parse(readFileSync(path.join(examples, 'temperature-filter.deployment.json'), 'utf8')) as { modulesContent: { $edgeAgent: { 'properties.desired': { modules: Record<string, Json & { settings: Json }> } } } };
  change(doc.modulesContent.$edgeAgent['properties.desired'].modules.SimulatedTemperatureSensor!);
  writeFileSync(path.join(dir, name), JSON.stringify(doc, null, 2));
  return name;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgemu-check-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('edgemu check', () => {
  it('gives every example and invalid manifest the verdict the expectation file records, and exits 0', async () => {
    const r = await run(['check', examples, invalid, '--expect', expectations]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${manifestCount} manifests:`);
    expect(r.out).toContain('; 0 failing');
    expect(r.out).toMatch(/agent-schema-version-unsupported\.json: 412/);
  });

  it('exits 1 and names the file when a verdict differs from the expectation', async () => {
    const wrong = JSON.parse(readFileSync(expectations, 'utf8'));
    wrong['route-syntax-error.json'] = 200;
    writeFileSync(path.join(dir, 'wrong.expect'), JSON.stringify(wrong));
    const r = await run(['check', invalid, '--expect', path.join(dir, 'wrong.expect')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/route-syntax-error\.json: 400[^\n]*\n(?:.*\n)*?\s+FAIL\s+expected status 200, IoT Edge would report 400/);
    expect(r.out).toContain('; 1 failing');
  });

  it('translates every valid example with --translate and prints one JSON entry per file with --json', async () => {
    const r = await run(['check', examples, '--translate', '--json']);
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.out) as { report: { status: number }; translation: { ok: boolean; objects: number }; failures: string[] }[];
    expect(entries).toHaveLength(readdirSync(examples).filter((f) => f.endsWith('.json')).length);
    for (const e of entries) {
      expect(e.report.status).toBe(200);
      expect(e.translation.ok).toBe(true);
      expect(e.translation.objects).toBeGreaterThan(1);
      expect(e.failures).toEqual([]);
    }
  });

  it('accepts what IoT Edge accepts: ASP.NET env names, Windows binds, _comment keys, object createOptions, settings.digest', async () => {
    const sub = mkdtempSync(path.join(dir, 'accepted-'));
    const at = (n: string) => path.join(path.basename(sub), n);
    variant(at('env-colon.json'), (m) => (m.env = { 'Logging:LogLevel:Microsoft': { value: 'Error' } }));
    variant(at('windows-bind.json'), (m) => (m.settings.createOptions = JSON.stringify({ HostConfig: { Binds: ['C:\\ProgramData\\x:C:\\y', 'C:/Dev/x:/d'] } })));
    variant(at('comment.json'), (m) => ((m._comment = 'why'), (m.settings.imagePullPolicy = 'never')));
    variant(at('object-create-options.json'), (m) => (m.settings.createOptions = { HostConfig: { Privileged: false } }));
    variant(at('digest.json'), (m) => (m.settings.digest = `sha256:${'0'.repeat(64)}`));
    const r = await run(['check', sub, '--json']);
    const entries = JSON.parse(r.out) as { report: { file: string; status: number; warnings: string[] } }[];
    expect(entries.map((e) => [path.basename(e.report.file), e.report.status])).toEqual([
      ['comment.json', 200],
      ['digest.json', 200],
      ['env-colon.json', 200],
      ['object-create-options.json', 200],
      ['windows-bind.json', 200],
    ]);
    const warnings = Object.fromEntries(entries.map((e) => [path.basename(e.report.file), e.report.warnings.join('\n')]));
    expect(warnings['comment.json']).toContain('/modulesContent/$edgeAgent/properties.desired/modules/SimulatedTemperatureSensor/_comment');
    expect(warnings['windows-bind.json']).toContain('Linux node');
    expect(r.code).toBe(0);
  });

  it('refuses an expectation file that is not a map of statuses, and an empty directory, with exit 2', async () => {
    writeFileSync(path.join(dir, 'bad.expect'), '{"a.json": "ok"}');
    const bad = await run(['check', examples, '--expect', path.join(dir, 'bad.expect')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('must be one of 200, 400');
    const empty = mkdtempSync(path.join(dir, 'empty-'));
    const none = await run(['check', empty]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('no *.json manifests');
  });

  it('says how to reach an API server when --dry-run has none', async () => {
    writeFileSync(path.join(dir, 'dead.kubeconfig'), ['apiVersion: v1', 'kind: Config', 'clusters: [{name: dead, cluster: {server: "https://127.0.0.1:1"}}]', 'users: [{name: u, user: {token: x}}]', 'contexts: [{name: dead, context: {cluster: dead, user: u}}]', 'current-context: dead', ''].join('\n'));
    const r = await run(['check', examples, '--dry-run', '--kubeconfig', path.join(dir, 'dead.kubeconfig')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('cannot reach the API server of https://127.0.0.1:1');
  });
});
