import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { StampedMemo } from './file-stamps.js';
import { ImageError } from './image-error.js';

/** The entry files a module folder may have, in the order `edgemu module run` picks them (docs/modules.md). */
export const MODULE_ENTRIES = ['index.ts', 'index.mts', 'index.js', 'index.mjs'] as const;

/** The module folder's entry file, or `IMAGE_NO_ENTRY` naming what was looked for. */
export function moduleEntry(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ImageError('IMAGE_NO_ENTRY', `${dir} is not a folder; pass a module folder such as modules/filter`);
  }
  for (const name of MODULE_ENTRIES) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  throw new ImageError('IMAGE_NO_ENTRY', `${dir} has no ${MODULE_ENTRIES.join(', ')}; a module folder needs one of them as its entry`);
}

/** One bundled module: a single ES module file with every dependency inlined. */
export interface ModuleBundle {
  entry: string;
  /** The bundled program (`/app/index.mjs` in the image). */
  code: Buffer;
}

/**
 * The CommonJS packages of the Azure IoT SDK call `require`, which an ES module bundle lacks;
 * esbuild's documented fix is a `createRequire` banner (esbuild docs, "Bundling for node").
 */
const REQUIRE_BANNER = "import { createRequire as __edgemuCreateRequire } from 'node:module'; const require = __edgemuCreateRequire(import.meta.url);";

/** Bundles of this process, kept while none of their input files changed (esbuild's metafile lists them). */
const bundles = new StampedMemo<ModuleBundle>();

/**
 * Bundles a module folder with esbuild into one ES module for Node 20 (TypeScript or
 * JavaScript, top-level await allowed, node_modules resolved from the folder upwards). A module
 * that does not build is `IMAGE_BUILD_FAILED` with esbuild's messages, each naming file:line.
 * A folder bundled before in this process whose input files are all unchanged (size, mtime,
 * inode) is not bundled again, so the agent's image step before each plan costs a few stats.
 */
export async function bundleModule(dir: string): Promise<ModuleBundle> {
  const entry = moduleEntry(dir);
  const kept = bundles.get(entry);
  if (kept !== undefined) return kept;
  const startedAt = Date.now();
  const esbuild = await import('esbuild');
  let result: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      write: false,
      metafile: true,
      outfile: 'index.mjs',
      banner: { js: REQUIRE_BANNER },
      legalComments: 'none',
      logLevel: 'silent',
      // Optional native speed-ups of ws (used by the SDK's websocket transports); absent is fine.
      external: ['bufferutil', 'utf-8-validate'],
    });
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors ?? [];
    const lines = errors.map((e) => (e.location ? `${path.resolve(e.location.file)}:${e.location.line}:${e.location.column}: ${e.text}` : e.text));
    throw new ImageError('IMAGE_BUILD_FAILED', `module ${dir} does not build:\n${lines.length > 0 ? lines.join('\n') : String(error)}`, { cause: error, details: { dir } });
  }
  const out = result.outputFiles?.[0];
  if (out === undefined) throw new ImageError('IMAGE_BUILD_FAILED', `module ${dir}: esbuild produced no output`);
  const bundle = { entry, code: Buffer.from(out.contents) };
  const inputs = Object.keys(result.metafile?.inputs ?? {}).map((f) => path.resolve(f));
  if (inputs.length > 0) bundles.set(entry, inputs, bundle, startedAt);
  return bundle;
}
