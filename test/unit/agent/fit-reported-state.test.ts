import { describe, expect, it } from 'vitest';
import { fitReportedState, reportAtLevel, REPORT_LEVELS, shortDescription, SHORT_DESCRIPTION_LENGTH, type ReportLevel } from '../../../runtime/agent/fit-reported-state.js';
import { buildReportedState, type JsonObject } from '../../../runtime/agent/reported-state.js';
import { TWIN_SECTION_MAX_BYTES } from '../../../runtime/twin/index.js';
import { agent } from '../../helpers/manifest-builders.js';
import { current, runtime, spec } from './helpers.js';

const LIMIT = TWIN_SECTION_MAX_BYTES.reported;
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

/** A deployment of `n` modules as edgeAgent reports it, each with `env` entries and createOptions of the given sizes. */
function reportOf(n: number, opts: { env?: number; createOptions?: number; description?: number; failing?: readonly string[] } = {}): JsonObject {
  const modules = Array.from({ length: n }, (_, i) => {
    const name = `module${String(i).padStart(3, '0')}`;
    const failing = opts.failing?.includes(name) ?? false;
    return {
      spec: spec(name, {
        env: Object.fromEntries(Array.from({ length: opts.env ?? 2 }, (_, k) => [`SETTING_${k}`, `value-${k}`])),
        createOptions: { HostConfig: { Binds: [`/data/${'x'.repeat(opts.createOptions ?? 40)}:/data`] } },
      }),
      replicas: 1,
      runtime: runtime({
        image: `example/${name}:1.0`,
        runtimeStatus: failing ? 'backoff' : 'running',
        exitCode: failing ? 1 : 0,
        restartCount: failing ? 3 : 0,
        statusDescription: `Started at 2026-01-01T00:00:00.000Z ${'d'.repeat(opts.description ?? 0)}`.trim(),
      }),
      runsOn: 'simulated' as const,
    };
  });
  return buildReportedState({
    config: agent(modules.map((m) => m.spec)),
    lastDesiredVersion: 4,
    status: { code: 200, description: '' },
    current: current(...modules),
    agentStartTimeUtc: '2026-01-01T00:00:00.000Z',
    version: { version: '0.1.0', build: 'edgemu', commit: '' },
    platform: { os: 'linux', architecture: 'x64', version: 'v20' },
  });
}

const moduleOf = (state: JsonObject, name: string) => (state.modules as JsonObject)[name] as JsonObject;
const header = (state: JsonObject) => ({ schemaVersion: state.schemaVersion, version: state.version, lastDesiredStatus: state.lastDesiredStatus, lastDesiredVersion: state.lastDesiredVersion, runtime: state.runtime });

describe('fitReportedState', () => {
  it('leaves a report that fits as it is, without a marker', () => {
    const state = reportOf(5);
    const fitted = fitReportedState(state);
    expect(fitted).toMatchObject({ level: 'full', omittedModules: 0, bytes: bytes(state) });
    expect(fitted.state).toBe(state);
    expect(fitted.state).not.toHaveProperty('reportShortened');
  });

  // Each row: a deployment, the level it must stop at, what an entry still has and what it lost.
  const rows: Array<{ what: string; report: () => JsonObject; level: ReportLevel; keeps: string[]; drops: string[] }> = [
    { what: 'big env echoes', report: () => reportOf(40, { env: 60 }), level: 'no-env', keeps: ['settings', 'statusDescription', 'imagePullPolicy'], drops: ['env'] },
    { what: 'long createOptions', report: () => reportOf(30, { createOptions: 1500 }), level: 'no-create-options', keeps: ['settings.image', 'settings.imageHash', 'statusDescription'], drops: ['env', 'settings.createOptions', 'settings.createOptions01'] },
    { what: 'long status descriptions', report: () => reportOf(50, { createOptions: 1, description: 600 }), level: 'short-descriptions', keeps: ['settings.image', 'statusDescription'], drops: ['env'] },
    { what: '100 modules', report: () => reportOf(100), level: 'no-settings', keeps: ['version', 'type', 'status', 'restartPolicy', 'runtimeStatus', 'lastRestartTimeUtc', 'runsOn'], drops: ['settings', 'statusDescription', 'imagePullPolicy', 'startupOrder'] },
    { what: '150 modules', report: () => reportOf(150), level: 'status', keeps: ['version', 'status', 'runtimeStatus', 'exitCode', 'restartCount', 'lastStartTimeUtc', 'lastExitTimeUtc', 'runsOn'], drops: ['type', 'restartPolicy', 'lastRestartTimeUtc'] },
    { what: '300 modules', report: () => reportOf(300), level: 'runtime-status', keeps: ['runtimeStatus', 'exitCode', 'restartCount', 'runsOn'], drops: ['version', 'status', 'lastStartTimeUtc'] },
    { what: '500 modules', report: () => reportOf(500), level: 'bare', keeps: ['runtimeStatus'], drops: ['exitCode', 'restartCount', 'runsOn'] },
  ];
  it.each(rows)('stops at level $level for $what', ({ report, level, keeps, drops }) => {
    const state = report();
    expect(bytes(state)).toBeGreaterThan(LIMIT);
    const fitted = fitReportedState(state);
    expect(fitted.level).toBe(level);
    expect(fitted.bytes).toBe(bytes(fitted.state));
    expect(fitted.bytes).toBeLessThanOrEqual(LIMIT);
    // the level before it would not have fitted
    const previous = REPORT_LEVELS[REPORT_LEVELS.indexOf(level) - 1] as Exclude<ReportLevel, 'partial'>;
    expect(bytes(reportAtLevel(state, previous))).toBeGreaterThan(LIMIT);
    expect(fitted.state.reportShortened).toEqual({ level });
    expect(header(fitted.state)).toEqual(header(state));
    expect(Object.keys(fitted.state.modules as JsonObject)).toEqual(Object.keys(state.modules as JsonObject));
    const first = moduleOf(fitted.state, 'module000');
    for (const key of keeps) expect(first).toHaveProperty(key);
    for (const key of drops) expect(first).not.toHaveProperty(key);
  });

  it('goes through the levels in order, each smaller than the one before, and stops at the first that fits', () => {
    const state = reportOf(150, { env: 5, createOptions: 600, description: 200 });
    const levels = REPORT_LEVELS.filter((l): l is Exclude<ReportLevel, 'partial'> => l !== 'partial');
    const sizes = levels.map((level) => bytes(reportAtLevel(state, level)));
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThan(sizes[i - 1]!);
    levels.forEach((level, i) => {
      expect(fitReportedState(state, sizes[i]!)).toMatchObject({ level, bytes: sizes[i] });
      if (i > 0) expect(fitReportedState(state, sizes[i - 1]! - 1).level).toBe(level);
    });
  });

  it('reports a deployment of 300 modules with every module\'s runtime status under 32 KB', () => {
    const state = reportOf(300, { failing: ['module007', 'module299'] });
    const fitted = fitReportedState(state);
    expect(fitted.bytes).toBeLessThanOrEqual(LIMIT);
    const modules = fitted.state.modules as JsonObject;
    expect(Object.keys(modules)).toHaveLength(300);
    expect(moduleOf(fitted.state, 'module007')).toEqual({ runtimeStatus: 'backoff', exitCode: 1, restartCount: 3, runsOn: 'simulated' });
    expect(moduleOf(fitted.state, 'module100')).toEqual({ runtimeStatus: 'running', exitCode: 0, restartCount: 0, runsOn: 'simulated' });
    expect(fitted.state).toMatchObject({ lastDesiredVersion: 4, lastDesiredStatus: { code: 200 }, systemModules: { edgeAgent: { runtimeStatus: 'running' }, edgeHub: { runtimeStatus: 'running' } } });
  });

  it('keeps the modules that are not running first when not even bare entries fit', () => {
    const state = reportOf(1500, { failing: ['module1499', 'module003'] });
    const fitted = fitReportedState(state);
    expect(fitted.level).toBe('partial');
    expect(fitted.bytes).toBeLessThanOrEqual(LIMIT);
    const modules = fitted.state.modules as JsonObject;
    const kept = Object.keys(modules);
    expect(kept.length).toBeGreaterThan(500);
    expect(kept).toContain('module1499');
    expect(kept).toContain('module003');
    expect(kept).toEqual([...kept].sort());
    expect(fitted.omittedModules).toBe(1500 - kept.length);
    expect(fitted.state.reportShortened).toEqual({ level: 'partial', omittedModules: fitted.omittedModules });
    // one more module would not have fitted
    expect(fitted.bytes + Buffer.byteLength(`,"module9999":{"runtimeStatus":"running"}`)).toBeGreaterThan(LIMIT);
  });

  it('does not modify its input', () => {
    const state = reportOf(300);
    const copy = structuredClone(state);
    fitReportedState(state);
    expect(state).toEqual(copy);
  });

  it('measures UTF-8 bytes, not characters', () => {
    const state: JsonObject = { schemaVersion: '1.0', modules: { m: { runtimeStatus: 'running', statusDescription: 'é'.repeat(100), settings: { image: 'x' } } } };
    // 100 characters but 200 bytes of description: a limit between the two sizes must shorten it
    const chars = JSON.stringify(state).length;
    const fitted = fitReportedState(state, chars);
    expect(fitted.level).not.toBe('full');
    expect(fitted.bytes).toBeLessThanOrEqual(chars);
  });
});

describe('shortDescription', () => {
  it.each([
    ['short', 'short'],
    ['x'.repeat(SHORT_DESCRIPTION_LENGTH), 'x'.repeat(SHORT_DESCRIPTION_LENGTH)],
    ['x'.repeat(SHORT_DESCRIPTION_LENGTH + 1), `${'x'.repeat(SHORT_DESCRIPTION_LENGTH - 1)}…`],
    ['😀'.repeat(SHORT_DESCRIPTION_LENGTH + 5), `${'😀'.repeat(SHORT_DESCRIPTION_LENGTH - 1)}…`],
  ])('cuts %j to %j', (text, expected) => {
    expect(shortDescription(text)).toBe(expected);
    expect(Array.from(shortDescription(text)).length).toBeLessThanOrEqual(SHORT_DESCRIPTION_LENGTH);
  });
});
