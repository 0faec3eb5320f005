#!/usr/bin/env node
// The `edgemu` command: runs the CLI from an esbuild bundle of runtime/ (bin/cli-bundle.js), built
// again on the first start after any source changed, so there is no build step to forget.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliBundle } from './cli-bundle.js';
import { mapBundleStackTraces } from './bundle-stack-traces.js';

let entry;
try {
  entry = await cliBundle();
} catch (error) {
  // esbuild's message names each file:line that does not compile
  process.stderr.write(`edgemu: could not compile runtime/: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
mapBundleStackTraces(path.dirname(entry));
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
