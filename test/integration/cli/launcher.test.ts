import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as CliBundle from '../../../bin/cli-bundle.js';

// bin/edgemu.js runs the CLI from an esbuild bundle cached per checkout (bin/cli-bundle.js). Each
// test copies bin/ into a checkout of its own whose runtime/cli/main.ts is a small fixture, so it
// can edit the sources and read the cache.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let checkout: string;
let cache: string;

const FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'fixture', type: 'module' }),
  'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true } }),
  'runtime/cli/main.ts': [
    "import { readFileSync } from 'node:fs';",
    "import { word } from './word.js';",
    "import { thrower } from '../lib/thrower.js';",
    'export async function main(argv: readonly string[]): Promise<number> {',
    "  if (argv[0] === 'word') process.stdout.write(`${word}\\n`);",
    "  if (argv[0] === 'url') process.stdout.write(`${readFileSync(new URL('./data.txt', import.meta.url), 'utf8')} ${'import.meta.url'}\\n`);",
    "  if (argv[0] === 'lazy') process.stdout.write(`${(await import('../lib/lazy.js')).lazy}\\n`);",
    "  if (argv[0] === 'throw') thrower();",
    '  return 0;',
    '}',
    '',
  ].join('\n'),
  'runtime/cli/word.ts': "export const word: string = 'first';\n",
  'runtime/cli/data.txt': 'next to main.ts',
  'runtime/lib/lazy.ts': "export const lazy = 'loaded later';\n",
  'runtime/lib/thrower.ts': ['// line 1', 'export function thrower(): never {', "  throw new Error('from the fixture');", '}', ''].join('\n'),
};

beforeEach(() => {
  checkout = mkdtempSync(path.join(tmpdir(), 'edgemu-launcher-'));
  cache = path.join(checkout, '.cache');
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
    writeFileSync(path.join(checkout, file), text);
  }
  for (const file of ['edgemu.js', 'cli-bundle.js', 'bundle-stack-traces.js']) cpSync(path.join(repo, 'bin', file), path.join(checkout, 'bin', file));
  symlinkSync(path.join(repo, 'node_modules'), path.join(checkout, 'node_modules'));
});

afterEach(() => rmSync(checkout, { recursive: true, force: true }));

function edgemu(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(checkout, 'bin/edgemu.js'), ...args], { env: { ...process.env, EDGEMU_CACHE_DIR: cache }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The builds in the checkout's cache directory. */
function builds(): string[] {
  const [dir] = readdirSync(path.join(cache, 'cli'));
  return readdirSync(path.join(cache, 'cli', dir!, 'builds'));
}

describe('the edgemu launcher', () => {
  it('runs the changed sources on the first start after an edit, and builds nothing when none changed', async () => {
    expect((await edgemu('word')).stdout).toBe('first\n');
    expect((await edgemu('word')).stdout).toBe('first\n');
    expect(builds()).toHaveLength(1);
    writeFileSync(path.join(checkout, 'runtime/cli/word.ts'), "export const word: string = 'second';\n");
    expect((await edgemu('word')).stdout).toBe('second\n');
    expect(builds()).toHaveLength(2);
  });

  it('sees an edit that keeps the size of the file (its modification time changed)', async () => {
    expect((await edgemu('word')).stdout).toBe('first\n');
    const file = path.join(checkout, 'runtime/cli/word.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('first', 'fir5t'));
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    expect((await edgemu('word')).stdout).toBe('fir5t\n');
  });

  it('gives each source its own import.meta.url, and leaves the words inside a string alone', async () => {
    expect((await edgemu('url')).stdout).toBe('next to main.ts import.meta.url\n');
  });

  it('loads a dynamically imported module', async () => {
    expect((await edgemu('lazy')).stdout).toBe('loaded later\n');
  });

  it('points stack traces at the .ts sources', async () => {
    const { code, stderr } = await edgemu('throw');
    expect(code).toBe(1);
    expect(stderr).toContain('Error: from the fixture');
    expect(stderr).toContain(`${path.join(checkout, 'runtime/lib/thrower.ts')}:3:`);
    expect(stderr).toContain(`${path.join(checkout, 'runtime/cli/main.ts')}:8:`);
  });

  it('names the file and line that does not compile, and exits 1', async () => {
    writeFileSync(path.join(checkout, 'runtime/cli/word.ts'), "export const word: string = 'unclosed;\n");
    const { code, stdout, stderr } = await edgemu('word');
    expect([code, stdout]).toEqual([1, '']);
    expect(stderr).toMatch(/^edgemu: could not compile runtime\/: Build failed with 1 error:\nruntime\/cli\/word\.ts:1:\d+: ERROR: Unterminated string literal/);
  });

  it('lets starts that find no build at the same moment all run, leaving one build', async () => {
    const runs = await Promise.all(Array.from({ length: 4 }, () => edgemu('word')));
    expect(runs.map((r) => [r.code, r.stdout])).toEqual(Array.from({ length: 4 }, () => [0, 'first\n']));
    expect(builds()).toHaveLength(1);
  });

  it('keeps the three newest builds besides the current one', async () => {
    for (const word of ['a', 'b', 'c', 'd', 'e']) {
      writeFileSync(path.join(checkout, 'runtime/cli/word.ts'), `export const word: string = '${word}';\n`);
      expect((await edgemu('word')).stdout).toBe(`${word}\n`);
    }
    expect(builds()).toHaveLength(4);
  });

  it('says what it does when a build takes longer than a moment', async () => {
    const { buildBundle } = (await import(pathToFileURL(path.join(checkout, 'bin/cli-bundle.js')).href)) as typeof CliBundle;
    const said: string[] = [];
    await buildBundle(path.join(cache, 'cli', 'direct'), (line) => said.push(line), 0);
    expect(said[0]).toMatch(/^edgemu: compiling runtime\/ into .* \(the first start of this checkout; once per change\)/);
    expect(said[1]).toMatch(/^edgemu: compiled in \d+\.\d s\n$/);
  });
});
