/**
 * Validation throughput: how many times per second one core validates a 50-module manifest
 * (the IoT Hub limit for a deployment), through each entry point. Target ≥ 2,000/s.
 */
import { performance } from 'node:perf_hooks';
import { availableParallelism, loadavg } from 'node:os';
import { parseManifestText, validateManifest, validateEdgeAgentDesired, validateEdgeHubDesired } from '../runtime/manifest/index.js';

const MODULES = 50;

/** The benchmark manifest; `variant` > 0 makes every module name, image, createOptions and route text different. */
function fiftyModuleManifest(variant = 0): Record<string, unknown> {
  const modules: Record<string, unknown> = {};
  const routes: Record<string, unknown> = {};
  const twins: Record<string, unknown> = {};
  const v = variant === 0 ? '' : `v${variant}`;
  for (let i = 0; i < MODULES; i++) {
    const name = `module${String(i).padStart(2, '0')}${v}`;
    modules[name] = {
      version: '1.0',
      type: 'docker',
      status: i % 10 === 0 ? 'stopped' : 'running',
      restartPolicy: 'always',
      startupOrder: i,
      settings: {
        image: `contoso.azurecr.io/plant/${name}:1.${i}${v}`,
        createOptions: JSON.stringify({ HostConfig: { Binds: [`/data/${name}:/data`], PortBindings: { [`${9000 + i}/tcp`]: [{ HostPort: String(9000 + i) }] } } }),
      },
      env: { LOG_LEVEL: { value: 'info' }, INDEX: { value: i } },
    };
    routes[`r${i}`] = { route: `FROM /messages/modules/${name}/outputs/* WHERE $body.machine.temperature > ${i} INTO $upstream`, priority: i % 10, timeToLiveSecs: 60 };
    if (i < 10) twins[name] = { 'properties.desired': { threshold: i, enabled: true } };
  }
  return {
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion: '1.1',
          runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25', registryCredentials: { contoso: { username: 'u', password: 'p', address: 'contoso.azurecr.io' } } } },
          systemModules: {
            edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5' } },
            edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5' } },
          },
          modules,
        },
      },
      $edgeHub: { 'properties.desired': { schemaVersion: '1.2', routes, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
      ...twins,
    },
  };
}

interface Row {
  name: string;
  /** Runs per second of this process's CPU time (user + system): the throughput of one core, however busy the machine is. */
  perCpuSecond: number;
  /** Runs per second of wall-clock time (lower when other processes compete for the cores). */
  perWallSecond: number;
}

function measure(name: string, fn: () => number, seconds = 1.5): Row {
  for (let i = 0; i < 200; i++) fn(); // warm-up (JIT)
  let runs = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) if (fn() !== 200) throw new Error(`${name}: manifest unexpectedly invalid`);
    runs += 50;
  }
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { name, perCpuSecond: runs / cpuSeconds, perWallSecond: runs / wall };
}

const doc = fiftyModuleManifest();
const text = JSON.stringify(doc, null, 2);
const content = (doc as { modulesContent: Record<string, { 'properties.desired': unknown }> }).modulesContent;
const agentBytes = Buffer.byteLength(JSON.stringify(content.$edgeAgent!['properties.desired']));

const coldStart = performance.now();
const first = validateManifest(structuredClone(doc));
const coldMs = performance.now() - coldStart;
if (first.status !== 200) throw new Error(`benchmark manifest is invalid: ${JSON.stringify(first.errors.slice(0, 3))}`);
if (first.warnings.length > 0) throw new Error(`benchmark manifest has warnings: ${first.warnings.join('; ')}`);

// Validation remembers per-string results (route parses, image references, createOptions
// checks, K8s names) in bounded caches; this row cycles through more distinct manifests than
// those caches hold, so every string is new to the validator: the cost of a first validation.
const VARIANTS = 100;
const variantTexts = Array.from({ length: VARIANTS }, (_, k) => JSON.stringify(fiftyModuleManifest(k + 1), null, 2));
let nextVariant = 0;

const rows = [
  measure('parseManifestText (JSON text → Deployment)', () => parseManifestText(text).status),
  measure('parseManifestText, every string new (no cache hits)', () => parseManifestText(variantTexts[nextVariant++ % VARIANTS]!).status),
  measure('validateManifest (parsed object → Deployment)', () => validateManifest(doc).status),
  measure('validateEdgeAgentDesired ($edgeAgent only)', () => validateEdgeAgentDesired(content.$edgeAgent!['properties.desired']).status),
  measure('validateEdgeHubDesired ($edgeHub, 50 routes)', () => validateEdgeHubDesired(content.$edgeHub!['properties.desired']).status),
];

const target = 2000;
process.stdout.write(`manifest: ${MODULES} modules, ${MODULES} routes, ${text.length} bytes of JSON text ($edgeAgent section ${agentBytes} bytes); Node ${process.version}, one core\n`);
process.stdout.write(`first validation (compiles the schemas): ${coldMs.toFixed(1)} ms\n\n`);
process.stdout.write(`| entry point | validations/s per CPU-second | µs CPU each | validations/s wall-clock |\n| --- | ---: | ---: | ---: |\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
for (const r of rows) process.stdout.write(`| ${r.name} | ${fmt(r.perCpuSecond)} | ${(1e6 / r.perCpuSecond).toFixed(0)} | ${fmt(r.perWallSecond)} |\n`);
const endToEnd = rows[0]!.perCpuSecond;
process.stdout.write(`\nload average while measuring: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores (wall-clock figures drop when it exceeds the core count)\n`);
process.stdout.write(`target ≥ ${target.toLocaleString('en-US')}/s on one core for the whole manifest from text: ${endToEnd >= target ? 'met' : 'NOT met'} (${fmt(endToEnd)}/s)\n`);
