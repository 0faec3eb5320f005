import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { AgentMethodContext } from '../../../../runtime/agent/methods/agent-method.js';
import { buildSupportBundle, collectSupportBundle, type SupportBundleSources } from '../../../../runtime/agent/methods/support-bundle.js';
import { EdgemuError } from '../../../../runtime/errors.js';
import { silentLogger } from '../../../../runtime/log/create-logger.js';
import { FakeClock } from '../helpers.js';

const entries = (zip: Uint8Array) => Object.fromEntries(Object.entries(unzipSync(zip)).map(([k, v]) => [k, strFromU8(v)]));

function context(logs: Record<string, string | Error>): AgentMethodContext {
  return {
    deviceId: 'edge-1',
    clock: new FakeClock(Date.parse('2026-12-02T01:00:00Z')),
    logger: silentLogger(),
    moduleNames: () => Promise.resolve(Object.keys(logs)),
    readModuleLog: (moduleId) => {
      const log = logs[moduleId]!;
      return log instanceof Error ? Promise.reject(log) : Promise.resolve({ moduleId, text: log });
    },
  };
}

const sources: SupportBundleSources = {
  twin: (deviceId, moduleId) => Promise.resolve({ deviceId, moduleId, properties: { reported: { ok: true } } }),
  statusTable: () => Promise.resolve('MODULE  DESIRED\nsensor  running\n'),
  clusterEvents: () => Promise.resolve([{ reason: 'Scheduled', message: 'assigned edgemu-edge-1/sensor' }]),
};

describe('the support bundle', () => {
  it('is a zip with the logs, both twins, the status table, the events and a manifest', async () => {
    const zip = await collectSupportBundle(context({ sensor: '2026-12-02T01:00:00Z <6> hello\n', filter: new EdgemuError('AGENT_LOGS_SIMULATED', 'filter runs on the simulated pool: it has no logs') }), sources, { edgeRuntimeOnly: false });
    const files = entries(zip);
    expect(Object.keys(files).sort()).toEqual(['bundle.json', 'cluster/events.json', 'logs/filter.unavailable.txt', 'logs/sensor.log', 'status.txt', 'twins/edgeAgent.json', 'twins/edgeHub.json']);
    expect(files['logs/sensor.log']).toBe('2026-12-02T01:00:00Z <6> hello\n');
    expect(files['logs/filter.unavailable.txt']).toContain('simulated pool');
    expect(JSON.parse(files['twins/edgeHub.json']!)).toMatchObject({ moduleId: '$edgeHub' });
    expect(files['status.txt']).toContain('sensor  running');
    expect(JSON.parse(files['cluster/events.json']!)).toEqual([{ reason: 'Scheduled', message: 'assigned edgemu-edge-1/sensor' }]);
    expect(JSON.parse(files['bundle.json']!)).toMatchObject({ deviceId: 'edge-1', createdAt: '2026-12-02T01:00:00.000Z', edgeRuntimeOnly: false, problems: [] });
  });

  it('records each part it could not read instead of failing', async () => {
    const broken: SupportBundleSources = {
      ...sources,
      statusTable: () => Promise.reject(new Error('no report yet')),
      clusterEvents: () => Promise.reject(new Error('Kubernetes API unreachable (ECONNREFUSED)')),
    };
    const files = entries(await collectSupportBundle(context({ sensor: 'x\n' }), broken, { edgeRuntimeOnly: false }));
    expect(files['status.txt']).toBeUndefined();
    expect(files['cluster/events.json']).toBeUndefined();
    expect(JSON.parse(files['bundle.json']!).problems).toEqual([
      { part: 'status.txt', reason: 'no report yet' },
      { part: 'cluster/events.json', reason: 'Kubernetes API unreachable (ECONNREFUSED)' },
    ]);
  });

  it('keeps only edgeAgent and edgeHub logs with edgeRuntimeOnly, and passes since/until to the log reader', async () => {
    const asked: unknown[] = [];
    const ctx = context({ edgeAgent: 'a\n', sensor: 's\n' });
    const read = ctx.readModuleLog;
    ctx.readModuleLog = (id, q) => (asked.push([id, q]), read(id, q));
    const files = entries(await collectSupportBundle(ctx, sources, { edgeRuntimeOnly: true, since: 100, until: 200 }));
    expect(Object.keys(files).filter((f) => f.startsWith('logs/'))).toEqual(['logs/edgeAgent.log']);
    expect(asked).toEqual([['edgeAgent', { since: 100, until: 200 }]]);
    expect(JSON.parse(files['bundle.json']!)).toMatchObject({ since: 100, until: 200, edgeRuntimeOnly: true });
  });

  it('never lets a module name escape its folder', () => {
    const zip = buildSupportBundle({ deviceId: 'd', createdAt: '2026-12-02T01:00:00Z', edgeRuntimeOnly: false, moduleLogs: [{ moduleId: '../../etc/passwd', text: 'x' }], twins: { edgeAgent: null, edgeHub: null }, statusTable: undefined, clusterEvents: undefined, problems: [] });
    expect(Object.keys(unzipSync(zip))).toContain('logs/__.._etc_passwd.log');
  });
});
