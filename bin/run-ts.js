#!/usr/bin/env node
// Runs a TypeScript entry point through tsx's ESM loader, so the repo needs no build step:
// `npm ci` in a fresh clone is enough for `npx edgemu` (issue: package foundation).
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

register();
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: run-ts.js FILE.ts [ARGS...]\n');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(entry), ...rest];
await import(pathToFileURL(path.resolve(entry)).href);
