/**
 * Translation costs (docs/translate.md): the pure mapping runs on every agent reconcile pass, so it must
 * stay well below the agent's 50 ms no-op budget at 200 modules. Measures
 * - `translateDeployment` for 10, 50 and 200 modules with realistic createOptions (median of 30),
 * - rendering the result as YAML and as JSON,
 * - `edgemu translate` end to end as a user runs it (new node process, lazy imports; median of 5).
 * Sizes above what one manifest can hold (IoT Hub's 32 KB twin cap) repeat validated module specs.
 * Usage: npm run bench -- translate
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateManifest } from '../runtime/manifest/index.js';
import { renderObjects, translateDeployment } from '../runtime/translate/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function manifest(modules: number): unknown {
  const m: Record<string, unknown> = {};
  for (let i = 0; i < modules; i++) {
    const createOptions = {
      Env: [`INDEX=${i}`],
      Cmd: ['node', 'index.js'],
      Labels: { team: 'edge', description: 'a module with a longer description' },
      ExposedPorts: { [`${8000 + i}/tcp`]: {} },
      HostConfig: { Binds: [`data${i % 5}:/data`, '/var/log:/logs:ro'], Memory: 268435456, NanoCpus: 500000000, CapAdd: ['NET_ADMIN'] },
      Healthcheck: { Test: ['CMD', 'true'], Interval: 10e9 },
    };
    m[`module_${i}`] = {
      version: '1.0',
      type: 'docker',
      status: 'running',
      restartPolicy: 'always',
      startupOrder: i % 3,
      settings: { image: `example/module-${i}:1.0`, createOptions: JSON.stringify(createOptions) },
      env: { A: { value: 'x' }, B: { value: i } },
    };
  }
  return {
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion: '1.1',
          runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25', registryCredentials: { acr: { address: 'myacr.azurecr.io', username: 'u', password: 'p' } } } },
          systemModules: {
            edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5' } },
            edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5' } },
          },
          modules: m,
        },
      },
      $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: {}, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(2)} ms`;
/** "median (min)" of n runs: the min shows the cost without GC pauses and other load on the machine. */
const time = (n: number, fn: () => void) => {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  return `${ms(median(samples))} (min ${ms(Math.min(...samples))})`;
};

const rows: [string, string][] = [];
const context = { deviceId: 'edge-1', iotHubHostName: 'localhost', gatewayHostName: '172.18.0.1:8883', hubCaPem: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n' };
// IoT Hub caps a twin section at 32 KB, so a valid manifest holds only a few such modules: validate
// five, then repeat their (normalized) specs under new names for the larger sizes.
const base = validateManifest(manifest(5));
if (base.status !== 200) throw new Error(`bench manifest invalid: ${JSON.stringify(base.errors.slice(0, 3))}`);
const baseConfig = base.value.edgeAgent;
for (const size of [10, 50, 200]) {
  const modules = Array.from({ length: size }, (_, i) => {
    const spec = structuredClone(baseConfig.modules[i % baseConfig.modules.length]!);
    return { ...spec, name: `module_${String(i).padStart(3, '0')}`, env: { ...spec.env, INDEX: String(i) } };
  });
  const config = { ...baseConfig, modules };
  for (let i = 0; i < 5; i++) translateDeployment(config, context); // warm-up
  const t = translateDeployment(config, context);
  rows.push([`translateDeployment, ${size} modules (${t.objects.length} objects)`, time(30, () => translateDeployment(config, context))]);
  rows.push([`  render YAML (${Math.round(renderObjects(t.objects, 'yaml').length / 1024)} KiB)`, time(10, () => renderObjects(t.objects, 'yaml'))]);
  rows.push([`  render JSON`, time(10, () => renderObjects(t.objects, 'json'))]);
}

const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-translate-bench-'));
try {
  const file = path.join(dir, 'm.json');
  writeFileSync(file, JSON.stringify(manifest(5)));
  const cli = path.join(here, '..', 'bin', 'edgemu.js');
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    execFileSync(process.execPath, [cli, '--state-dir', path.join(dir, 'state'), 'translate', file, '--device', 'edge-1', '--gateway-host', '172.18.0.1'], { stdio: ['ignore', 'ignore', 'ignore'] });
    runs.push(performance.now() - t);
  }
  rows.push(['`edgemu translate` CLI, 5-module manifest, end to end (median of 5)', ms(median(runs))]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const width = Math.max(...rows.map(([k]) => k.length));
process.stdout.write(`| ${'measure'.padEnd(width)} | median (min) |\n| ${'-'.repeat(width)} | --- |\n`);
for (const [k, v] of rows) process.stdout.write(`| ${k.padEnd(width)} | ${v} |\n`);
