import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { loadDeploymentFile, ManifestFileError, ManifestInvalidError, readManifestFile, readManifestStream, validateManifestFile } from '../../../runtime/manifest/index.js';
import { Readable } from 'node:stream';

const repo = path.resolve(import.meta.dirname, '../../..');
const example = path.join(repo, 'deployments/examples/temperature-filter.deployment.json');
let dir: string;
const file = (name: string) => path.join(dir, name);

const run = (argv: string[]) => runCli(argv);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgemu-validate-'));
  writeFileSync(file('valid.json'), readFileSync(example));
  writeFileSync(file('invalid.json'), JSON.stringify({ modulesContent: { $edgeAgent: { 'properties.desired': { schemaVersion: '9.0' } }, $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: {} } } } }));
  writeFileSync(file('not-json.json'), '{"modulesContent": ');
  writeFileSync(file('binary.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));
  writeFileSync(file('latin1.json'), Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]));
  writeFileSync(file('utf16.json'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"modulesContent":{}}', 'utf16le')]));
  writeFileSync(file('huge.json'), '');
  truncateSync(file('huge.json'), 50 * 1024 * 1024); // sparse: 50 MB without writing them
  mkdirSync(file('a-directory'));
  execFileSync('mkfifo', [file('fifo')]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('edgemu validate', () => {
  it('exits 0 and says valid for a valid manifest', async () => {
    const r = await run(['validate', file('valid.json')]);
    expect(r).toEqual({ code: 0, out: `${file('valid.json')}: valid\n`, err: '' });
  });

  it('exits 1 and lists every problem with its path for an invalid manifest', async () => {
    const r = await run(['validate', file('invalid.json')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${file('invalid.json')}: invalid (status 412, 3 problems)`);
    expect(r.out).toContain('/modulesContent/$edgeAgent/properties.desired/schemaVersion: schemaVersion "9.0" is not supported');
    expect(r.out).toContain('/modulesContent/$edgeAgent/properties.desired/runtime: required property "runtime" is missing');
  });

  it('prints the documented JSON array with --json, one entry per file', async () => {
    const r = await run(['validate', '--json', file('valid.json'), file('not-json.json')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual([
      { file: file('valid.json'), valid: true, status: 200, errors: [], warnings: [] },
      { file: file('not-json.json'), valid: false, status: 400, errors: [{ path: '', message: 'the manifest is not valid JSON at line 1, column 20: unexpected end of input, expected a value' }], warnings: [] },
    ]);
  });

  it.each([
    ['a missing file', 'missing.json', 'no such file'],
    ['a directory', 'a-directory', 'is a directory'],
    ['a 50 MB file', 'huge.json', 'limited to 4.0 MB'],
    ['binary data', 'binary.bin', 'binary file'],
    ['text that is not UTF-8', 'latin1.json', 'not UTF-8'],
    ['a UTF-16 file', 'utf16.json', 'UTF-16'],
    ['a named pipe (would block a naive reader)', 'fifo', 'not a regular file'],
  ])('reports %s as a clear per-file error and goes on with the next file', async (_what, name, words) => {
    const r = await run(['validate', '--json', file(name), file('valid.json')]);
    expect(r.code).toBe(1);
    const reports = JSON.parse(r.out) as { valid: boolean; status: number; errors: { path: string; message: string }[] }[];
    expect(reports[0]).toMatchObject({ valid: false, status: 400 });
    expect(reports[0]!.errors[0]!.message).toContain(words);
    expect(reports[1]!.valid).toBe(true);
    expect(r.err).toBe('');
  });

  it('prints a summary line for several files', async () => {
    const r = await run(['validate', file('valid.json'), file('invalid.json')]);
    expect(r.out.trim().split('\n').at(-1)).toBe('2 files, 1 valid, 1 invalid');
  });

  it('exits 2 without a file argument', async () => {
    const r = await run(['validate']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("missing required argument 'file'");
  });

  it('runs as the real binary: binary input gives a one-line error, never a stack trace', () => {
    const r = spawnSync(process.execPath, [path.join(repo, 'bin/edgemu.js'), 'validate', file('binary.bin'), file('huge.json')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('binary.bin: invalid (status 400, 1 problem)');
    expect(r.stdout).toContain('huge.json: invalid (status 400, 1 problem)');
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

describe('edgemu validate - (standard input)', () => {
  it('validates a manifest piped in, e.g. from az iot edge deployment show', () => {
    const wrapped = readFileSync(path.join(repo, 'deployments/examples/content-wrapper.deployment.json'));
    const r = spawnSync(process.execPath, [path.join(repo, 'bin/edgemu.js'), 'validate', '--json', '-'], { input: wrapped, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ file: '-', valid: true, status: 200, errors: [], warnings: [] }]);
  });

  it('stops reading a stream at the size cap and refuses binary streams', async () => {
    async function* endless() {
      for (;;) yield Buffer.alloc(64 * 1024, 0x20);
    }
    const big = await validateManifestFile('-', { stdin: endless(), maxBytes: 1024 * 1024 });
    expect(big.report).toMatchObject({ valid: false, status: 400, errors: [{ path: '', message: expect.stringContaining('larger than 1.0 MB') }] });
    const binary = await validateManifestFile('-', { stdin: Readable.from([Buffer.from([1, 2, 0, 3])]) });
    expect(binary.report.errors[0]!.message).toContain('binary');
    const text = await readManifestStream(Readable.from(['{"a":', '1}']), 'x');
    expect(text).toBe('{"a":1}');
  });

  it('refuses - given twice (usage error)', async () => {
    const r = await run(['validate', '-', '-']);
    expect(r.code).toBe(2);
  });
});

describe('manifest files for other commands', () => {
  it('loadDeploymentFile returns the deployment or throws typed errors', async () => {
    const { deployment } = await loadDeploymentFile(example);
    expect(deployment.edgeAgent.modules.map((m) => m.name)).toEqual(['SimulatedTemperatureSensor', 'filter']);
    await expect(loadDeploymentFile(file('invalid.json'))).rejects.toBeInstanceOf(ManifestInvalidError);
    await expect(loadDeploymentFile(file('invalid.json'))).rejects.toMatchObject({ code: 'MANIFEST_INVALID', status: 412 });
    await expect(readManifestFile(file('huge.json'))).rejects.toMatchObject({ code: 'MANIFEST_TOO_LARGE' });
    await expect(readManifestFile(file('missing.json'))).rejects.toBeInstanceOf(ManifestFileError);
  });
});
