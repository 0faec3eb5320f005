// Prints, as JSON, the URL of every module that importing argv[2] resolves (through tsx, the
// sources as vitest and bin/run-ts.js run them; the bundled CLI's chunks are checked by
// test/integration/cli/bundled-imports.test.ts). A resolve hook (Node's module.register, documented "Customization
// Hooks") posts each URL back over a MessagePort, since hooks run off the main thread on Node 20.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (url) => seen.add(url));
const hook = `let port; export function initialize(d) { port = d.port; }
export async function resolve(specifier, context, next) { const r = await next(specifier, context); port.postMessage(r.url); return r; }`;
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url, { data: { port: port2 }, transferList: [port2] });
const { register: registerTsx } = await import('tsx/esm/api');
registerTsx();
await import(process.argv[2]);
await new Promise((r) => setTimeout(r, 200));
port1.close();
process.stdout.write(JSON.stringify([...seen]));
