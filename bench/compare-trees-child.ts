/**
 * The per-tree half of bench/compare-trees.ts, run once per checkout with that checkout's own
 * code (absolute imports from TREE), so two commits are measured by the same driver:
 * - `provision TREE STATE_DIR` — creates the benchmark identities and the `$edgeHub` routes in
 *   STATE_DIR's hub.db with TREE's store, prints the MQTT credentials as one JSON line;
 * - `validate TREE SECONDS FILE...` — runs TREE's `parseManifestText` + `validateManifest` over
 *   the deployment files given (the same for every tree) for SECONDS, prints `{ validations, cpuMicros }`;
 *   `validate TREE xN FILE...` does exactly N passes over the files after the same warm-up
 *   (for instruction counts: the difference of two counts cancels start-up).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const EDGE = 'bench-edge';
export const INGEST_DEVICES = 10;
/** Ten conditional routes on the sender's output; every message evaluates all ten, one matches (as bench/routing.bench.ts). */
export const ROUTES: Record<string, string> = {};
for (let i = 0; i < 9; i += 1) {
  ROUTES[`other${i}`] = `FROM /messages/modules/sender/outputs/data WHERE kind = 'other${i}' AND $body.value > ${i} INTO BrokeredEndpoint("/modules/receiver/inputs/other${i}")`;
}
ROUTES.main = `FROM /messages/modules/sender/outputs/data WHERE kind = 'bench' AND $body.value > 10 INTO BrokeredEndpoint("/modules/receiver/inputs/in")`;

export interface Creds {
  clientId: string;
  username: string;
  password: string;
  topic: string;
}

const load = async <T>(tree: string, rel: string): Promise<T> => (await import(pathToFileURL(path.join(tree, rel)).href)) as T;

interface StoreLike {
  identities: { createDevice(id: string, o?: { edge?: boolean }): { primaryKey: string }; createModule(d: string, m: string): { primaryKey: string } };
  twins: { replaceDesired(ref: { deviceId: string; moduleId: string }, doc: unknown): void };
  transaction(f: () => void): void;
  close(): void;
}

async function provision(tree: string, stateDir: string): Promise<void> {
  const { openHubStore, createSasToken } = await load<{ openHubStore: (o: { stateDir: string }) => StoreLike; createSasToken: (r: string, k: string, e: number) => string }>(tree, 'runtime/hub/index.ts');
  const store = openHubStore({ stateDir });
  const exp = Math.floor(Date.now() / 1000) + 7200;
  const devices: Creds[] = [];
  const modules: Record<string, Creds> = {};
  store.transaction(() => {
    for (let i = 0; i < INGEST_DEVICES; i++) {
      const deviceId = `pub${i}`;
      const id = store.identities.createDevice(deviceId);
      devices.push({ clientId: deviceId, username: `localhost/${deviceId}/?api-version=2021-04-12`, password: createSasToken(`localhost/devices/${deviceId}`, id.primaryKey, exp), topic: `devices/${deviceId}/messages/events/` });
    }
    store.identities.createDevice(EDGE, { edge: true });
    for (const m of ['sender', 'receiver']) {
      const id = store.identities.createModule(EDGE, m);
      modules[m] = {
        clientId: `${EDGE}/${m}`,
        username: `localhost/${EDGE}/${m}/?api-version=2021-04-12`,
        password: createSasToken(`localhost/devices/${EDGE}/modules/${m}`, id.primaryKey, exp),
        topic: `devices/${EDGE}/modules/${m}/messages/events/`,
      };
    }
    store.twins.replaceDesired({ deviceId: EDGE, moduleId: '$edgeHub' }, { schemaVersion: '1.1', routes: ROUTES, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } });
  });
  store.close();
  process.stdout.write(`${JSON.stringify({ devices, modules })}\n`);
}

async function validate(tree: string, seconds: number, files: string[], passes?: number): Promise<void> {
  const m = await load<{ parseManifestText: (t: string) => { status: string }; validateManifest: (d: unknown) => { status: string } }>(tree, 'runtime/manifest/index.ts');
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  const docs = texts.map((t) => JSON.parse(t) as unknown);
  const once = () => {
    for (const t of texts) if (m.parseManifestText(t).status === undefined) throw new Error('no status');
    for (const d of docs) if (m.validateManifest(structuredClone(d)).status === undefined) throw new Error('no status');
  };
  for (let i = 0; i < 200; i++) once();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  if (passes !== undefined) for (; n < passes; n++) once();
  else
    while (performance.now() < end) {
      once();
      n += 1;
    }
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ validations: n * texts.length, cpuMicros: cpu.user + cpu.system, files: texts.length })}\n`);
}

const [cmd, tree, arg, ...files] = process.argv.slice(2);
const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (!isEntry) {
  // imported by bench/compare-trees.ts for the shared constants
} else if (cmd === 'provision') await provision(path.resolve(tree!), path.resolve(arg!));
else if (cmd === 'validate') await validate(path.resolve(tree!), Number(arg ?? 2), files, arg?.startsWith('x') ? Number(arg.slice(1)) : undefined);
else {
  process.stderr.write('usage: compare-trees-child.ts provision TREE STATE_DIR | validate TREE SECONDS FILE...\n');
  process.exit(2);
}
