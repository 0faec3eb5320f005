// The CLI's runtime/ TypeScript, bundled by esbuild and cached, so the `edgemu` process runs plain
// JavaScript: no loader thread compiling every file at start (docs/agent.md "Many devices", what
// the process holds). A user never runs stale code: every start compares the recorded size and
// mtime of each file the bundle was built from (esbuild's metafile inputs, the package.json of
// each bundled package, this file, tsconfig.json and package.json) with the files on disk, and
// builds again when one differs (README.md, "There is no build step to run"). Plain JavaScript
// itself: it runs before anything is compiled.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const ENTRY = 'runtime/cli/main.ts';
/** Files that shape every build besides the bundled sources. */
const BUILD_FILES = ['bin/cli-bundle.js', 'tsconfig.json', 'package.json'];
/**
 * Packages bundled with the sources rather than loaded from node_modules: @kubernetes/client-node
 * 1.4 is plain ES modules (no require, no import.meta, no native code) and its entry loads the
 * whole generated API, about 15 MB of source text V8 keeps for the life of the process
 * (heap snapshot of the 100-device fleet, docs/agent.md "Many devices"); bundled, only the parts
 * edgemu uses are there. Their own dependencies stay external.
 */
const BUNDLED_PACKAGES = ['@kubernetes/client-node'];
/** Builds kept besides the current one: a process started from an older build may still import its lazy chunks. */
const KEEP_BUILDS = 3;
/** The first-build line is printed when a build takes longer than this. */
const SAY_AFTER_MS = 1000;

/**
 * Where this checkout's builds live: `$EDGEMU_CACHE_DIR/cli/<hash of the checkout's path>`,
 * default `~/.cache/edgemu` (the rule is runtime/cache-root.ts's; this file runs before any
 * TypeScript can be loaded).
 */
export function cliCacheDir(env = process.env) {
  const root = env.EDGEMU_CACHE_DIR ? env.EDGEMU_CACHE_DIR : path.join(homedir(), '.cache', 'edgemu');
  return path.join(root, 'cli', createHash('sha256').update(ROOT).digest('hex').slice(0, 16));
}

/** [path relative to the checkout, mtimeMs, size] of each file, or null for a missing one. */
function stamp(files) {
  return files.map((rel) => {
    try {
      const s = statSync(path.join(ROOT, rel));
      return [rel, s.mtimeMs, s.size];
    } catch {
      return [rel, null, null];
    }
  });
}

const keyOf = (stamps) => createHash('sha256').update(JSON.stringify(stamps)).digest('hex').slice(0, 20);

/** The current build's entry file, if every recorded input is unchanged; undefined otherwise. */
export function freshBundle(dir = cliCacheDir()) {
  let current;
  try {
    current = JSON.parse(readFileSync(path.join(dir, 'current.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(current?.inputs) || typeof current.key !== 'string') return undefined;
  if (keyOf(stamp(current.inputs.map((i) => i[0]))) !== current.key) return undefined;
  const entry = path.join(dir, 'builds', current.key, 'main.js');
  return existsSync(entry) ? entry : undefined;
}

/** Every bare import is external but those of BUNDLED_PACKAGES (a plugin: esbuild's `packages: 'external'` has no exceptions). */
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (BUNDLED_PACKAGES.some((p) => args.path === p || args.path.startsWith(`${p}/`))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * esbuild bundles the modules into one scope, so `import.meta.url` would be the chunk's URL. Each
 * source keeps its own: paths next to a source (`new URL('./app/', import.meta.url)`, createRequire)
 * resolve as they do under tsx and vitest. A `define` of `import.meta.url` to a per-file binding
 * (esbuild docs, "define" and "inject": identifiers only, never text inside strings).
 */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      // on the first line, so line numbers in the source map stay those of the file
      return { contents: `var __edgemuImportMetaUrl = ${JSON.stringify(pathToFileURL(args.path).href)};${text}`, loader: 'ts' };
    });
  },
};

/** Builds the bundle into a fresh directory and makes it current; returns its entry file. */
export async function buildBundle(dir = cliCacheDir(), say = (line) => process.stderr.write(line), sayAfterMs = SAY_AFTER_MS) {
  const started = Date.now();
  const why = existsSync(path.join(dir, 'current.json')) ? 'a source file changed since the last build' : 'the first start of this checkout';
  const slow = setTimeout(() => say(`edgemu: compiling runtime/ into ${dir} (${why}; once per change)…\n`), sayAfterMs);
  const builds = path.join(dir, 'builds');
  mkdirSync(builds, { recursive: true });
  // Other bare imports stay external and resolve from the checkout's node_modules (native
  // better-sqlite3, optional deps, packages that read their own files): Node looks in each parent directory's
  // node_modules (nodejs.org/api/esm.html#resolution-algorithm), so the cache gets a link to it.
  linkNodeModules(dir);
  const tmp = path.join(builds, `.tmp-${process.pid}-${Date.now()}`);
  const esbuild = await import('esbuild');
  try {
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: { main: ENTRY },
      outdir: tmp,
      bundle: true,
      // one chunk per lazily imported part, so `edgemu validate` still loads no hub or agent code
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      sourcesContent: false,
      chunkNames: 'chunks/[name]-[hash]',
      define: { 'import.meta.url': '__edgemuImportMetaUrl' },
      plugins: [externalPackages, ownImportMetaUrl],
      metafile: true,
      logLevel: 'silent',
    });
    // a bundled package counts by its package.json (an install rewrites it), not by each of its files
    const inputs = Object.keys(result.metafile.inputs).map((f) => (f.includes('node_modules/') ? packageJsonOf(f) : f));
    let stamps = stamp([...new Set([...BUILD_FILES, ...inputs])]);
    // a file edited while the build ran may be in the bundle in either version: record it as changed
    stamps = stamps.map(([rel, mtime, size]) => (mtime !== null && mtime >= started - 1 ? [rel, -1, size] : [rel, mtime, size]));
    const key = keyOf(stamps);
    const final = path.join(builds, key);
    try {
      renameSync(tmp, final);
    } catch (error) {
      // another start built the same sources at the same time: use its copy
      if (!existsSync(path.join(final, 'main.js'))) throw error;
    }
    writeAtomically(path.join(dir, 'current.json'), JSON.stringify({ key, inputs: stamps, builtAt: new Date().toISOString(), ms: Date.now() - started }));
    prune(builds, key);
    if (Date.now() - started > sayAfterMs) say(`edgemu: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return path.join(final, 'main.js');
  } finally {
    clearTimeout(slow);
    rmSync(tmp, { recursive: true, force: true });
    // esbuild's service process would otherwise live as long as edgemu; a later build starts it again
    await esbuild.stop();
  }
}

/** `…/node_modules/<name or @scope/name>/package.json` of a file inside a package. */
function packageJsonOf(file) {
  const at = file.lastIndexOf('node_modules/') + 'node_modules/'.length;
  const parts = file.slice(at).split('/');
  return `${file.slice(0, at)}${parts.slice(0, parts[0].startsWith('@') ? 2 : 1).join('/')}/package.json`;
}

function linkNodeModules(dir) {
  const link = path.join(dir, 'node_modules');
  try {
    if (statSync(link).isDirectory()) return;
  } catch {
    // missing or dangling
  }
  rmSync(link, { force: true });
  // the checkout's own, or the nearest one above it (a checkout installed as a dependency)
  let from = ROOT;
  while (!existsSync(path.join(from, 'node_modules')) && path.dirname(from) !== from) from = path.dirname(from);
  try {
    symlinkSync(path.join(from, 'node_modules'), link, 'junction');
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
  }
}

/** Write to a file of its own, then rename over the target (rename(2) replaces it in one step). */
function writeAtomically(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Removes all but the newest KEEP_BUILDS builds besides the current one, and builds left half-written over an hour ago. */
function prune(builds, currentKey) {
  const mtime = (name) => {
    try {
      return statSync(path.join(builds, name)).mtimeMs;
    } catch {
      return 0; // pruned by a concurrent start
    }
  };
  const old = readdirSync(builds)
    .filter((name) => name !== currentKey && !name.startsWith('.tmp-'))
    .map((name) => ({ name, mtime: mtime(name) }))
    .sort((a, b) => b.mtime - a.mtime)
    .slice(KEEP_BUILDS);
  const abandoned = readdirSync(builds).filter((name) => name.startsWith('.tmp-') && mtime(name) < Date.now() - 3_600_000);
  for (const { name } of old) rmSync(path.join(builds, name), { recursive: true, force: true });
  for (const name of abandoned) rmSync(path.join(builds, name), { recursive: true, force: true });
}

/** The entry file of a bundle of the current sources: the cached one, or a new build. */
export async function cliBundle() {
  return freshBundle() ?? (await buildBundle());
}
