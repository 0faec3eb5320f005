/**
 * In-place upgrade of a local cluster with modules running (docs/cluster.md "Upgrading"): the
 * device of test/k8s/cluster/azure-stack-edge-upgrade.test.ts (`edgemu up --layout
 * azure-stack-edge` with the sample deployment, cluster started at v1.36.3, real node where one
 * can run), then `edgemu cluster upgrade --kubernetes-version v1.37.2` as the CLI runs it:
 * - the upgrade's duration, in total and per restarted component (until it is ready again);
 * - module downtime: the longest gap between two filter messages arriving upstream around the
 *   upgrade, next to the usual gap before it (the sensor's send interval);
 * - the module states the agent reported meanwhile.
 * One round: an upgrade cannot be repeated on the same cluster (no downgrades), and a real-node
 * cluster takes minutes to start. Needs root, the real node's binaries of both versions
 * (`edgemu cluster binaries` and `... --kubernetes-version v1.36.3`) and the machine's one real node.
 * Usage: npm run bench -- upgrade
 */
import { loadavg } from 'node:os';
import { longestGap, SAMPLE_MODULES, startUpgradeScenario } from '../test/k8s/cluster/upgrade-scenario.js';

const FROM = 'v1.36.3';
const TO = 'v1.37.2';
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const say = (m: string) => process.stdout.write(`${m}\n`);

const s = await startUpgradeScenario({ fromVersion: FROM, log: (m) => process.stderr.write(`[bench] ${m}\n`) });
try {
  // a minute of steady telemetry first: the usual gap is the baseline the downtime compares with
  const steadyFrom = Date.now();
  await new Promise((r) => setTimeout(r, 60_000));
  const steady = s.telemetry.filter((t) => t >= steadyFrom);
  const intervals = steady.slice(1).map((t, i) => t - steady[i]!).sort((a, b) => a - b);
  const usual = intervals[Math.floor(intervals.length / 2)] ?? NaN;
  const usualMax = intervals.at(-1) ?? NaN;

  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  s.startSampling(500);
  const t0 = Date.now();
  const r = await s.cli(['cluster', 'upgrade', '--kubernetes-version', TO, '--json'], new AbortController().signal).done;
  const t1 = Date.now();
  if (r.code !== 0) throw new Error(`upgrade failed (exit ${r.code}): ${r.err.slice(-3000)}`);
  const result = JSON.parse(r.out) as { durationMs: number; steps: { component: string; ms: number }[] };
  const deadline = Date.now() + 180_000;
  while (!s.telemetry.some((t) => t > t1) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
  const resumedAt = s.telemetry.find((t) => t > t1);
  await new Promise((res) => setTimeout(res, 5_000));
  await s.stopSampling();
  const states = new Map<string, Set<string>>();
  for (const [at, m, st] of s.samples) if (at >= t0) states.set(m, (states.get(m) ?? new Set()).add(st));

  say(`upgrade ${FROM} → ${TO}, modules ${SAMPLE_MODULES.join(', ')} running (load average before: ${load}; after: ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
  say('| measure | value |');
  say('|---|---|');
  say(`| upgrade, total (CLI, binaries verified, every component ready) | ${secs(result.durationMs)} |`);
  for (const step of result.steps) say(`| – ${step.component} restarted until ready | ${secs(step.ms)} |`);
  say(`| usual gap between filter messages (median, last minute before) | ${secs(usual)} (max ${secs(usualMax)}) |`);
  say(`| longest gap between filter messages around the upgrade | ${secs(longestGap(s.telemetry, t0, resumedAt ?? t1))} |`);
  say(`| first filter message after the upgrade finished | ${resumedAt === undefined ? 'none within 180 s' : `${secs(resumedAt - t1)} after`} |`);
  for (const [m, set] of states) say(`| states reported for ${m} during and after | ${[...set].join(', ')} |`);
} finally {
  await s.close();
}
