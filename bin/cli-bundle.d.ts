// Types of bin/cli-bundle.js for the TypeScript that imports it (tests and their setup).
/** `$EDGEMU_CACHE_DIR/cli/<hash of the checkout's path>` (default `~/.cache/edgemu`). */
export function cliCacheDir(env?: NodeJS.ProcessEnv): string;
/** The current build's entry file if no input changed, else undefined. */
export function freshBundle(dir?: string): string | undefined;
/** Builds the bundle, makes it current and returns its entry file; `say` gets the first-build lines. */
export function buildBundle(dir?: string, say?: (line: string) => void, sayAfterMs?: number): Promise<string>;
/** The entry file of a bundle of the current sources: the cached one, or a new build. */
export function cliBundle(): Promise<string>;
