/**
 * `npm run bench [-- NAME...]`: runs every `bench/*.bench.ts` (or those whose name contains
 * one of NAME) one after another, each in its own process so memory figures are not mixed.
 * Each benchmark prints its own human-readable table. Benchmarks are never part of `npm test`.
 */
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  process.stderr.write(`no benchmark matches ${filters.join(' ')}\n`);
  process.exit(1);
}
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n## ${file.replace(/\.bench\.ts$/, '')}\n\n`);
  const r = spawnSync(process.execPath, [path.join(here, '..', 'bin', 'run-ts.js'), path.join(here, file)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed += 1;
    process.stdout.write(`(benchmark ${file} failed with exit code ${r.status ?? r.signal})\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
