// Stack traces of the bundled CLI point at the .ts sources: frames in a file under the bundle's
// directory are mapped through its source map (esbuild `sourcemap: 'linked'`, read with Node's
// `module.SourceMap`, nodejs.org/api/module.html#class-modulesourcemap) when a stack is first
// formatted. Not `--enable-source-maps` / `process.setSourceMapsEnabled`: Node then reads and
// parses the source map of every module it loads, node_modules included (about 9.5 MB of maps in
// @kubernetes/client-node alone) and keeps them for the life of the process.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Installs `Error.prepareStackTrace` (v8.dev/docs/stack-trace-api) for the bundle in `dir`. */
export function mapBundleStackTraces(dir) {
  if (process.sourceMapsEnabled) return; // Node maps every frame itself (--enable-source-maps)
  const prefix = pathToFileURL(dir).href + '/';
  const maps = new Map();
  const mapOf = (url) => {
    let map = maps.get(url);
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')));
      } catch {
        map = null;
      }
      maps.set(url, map);
    }
    return map;
  };
  const frame = (site) => {
    const text = String(site);
    const url = site.getFileName();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (typeof url !== 'string' || !url.startsWith(prefix) || line === null || column === null) return text;
    const entry = mapOf(url)?.findEntry(line - 1, column - 1);
    if (!entry?.originalSource) return text;
    const source = new URL(entry.originalSource, url);
    const original = source.protocol === 'file:' ? fileURLToPath(source) : source.href;
    return text.replace(`${url}:${line}:${column}`, `${original}:${entry.originalLine + 1}:${entry.originalColumn + 1}`);
  };
  // The format of V8's and Node's own: the error's toString, then one "    at …" line per frame.
  Error.prepareStackTrace = (error, sites) => {
    let head;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = '<error>';
    }
    return sites.length === 0 ? head : `${head}\n    at ${sites.map(frame).join('\n    at ')}`;
  };
}
