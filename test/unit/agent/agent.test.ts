import { describe, expect, it } from 'vitest';
import { Agent } from '../../../runtime/agent/agent.js';
import { ReportTooLargeError, type ConfigSource, type Environment, type Reporter, type ValidateAgentDesired } from '../../../runtime/agent/ports.js';
import type { JsonObject } from '../../../runtime/agent/reported-state.js';
import type { CurrentModule, CurrentState } from '../../../runtime/agent/runtime-info.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import type { EdgeAgentConfig, ModuleSpec } from '../../../runtime/manifest/model.js';
import { FakeClock, RecordingCommandFactory, runtime, spec } from './helpers.js';

/** Stands in for runtime/manifest's validator: `{modules: ModuleSpec[]}` is valid, `{}` empty, anything else 400. */
const validate: ValidateAgentDesired = (desired) => {
  const d = desired as { modules?: ModuleSpec[]; schemaVersion?: string };
  if (Object.keys(d).length === 0) return { status: 417, errors: [{ path: '', message: 'empty' }], warnings: [] };
  if (d.schemaVersion === '9.0') return { status: 412, errors: [{ path: '/schemaVersion', message: 'unsupported' }], warnings: [] };
  if (!Array.isArray(d.modules)) return { status: 400, errors: [{ path: '/modules', message: 'must be object' }], warnings: [] };
  const config: EdgeAgentConfig = {
    schemaVersion: '1.1',
    runtime: { type: 'docker', minDockerVersion: undefined, loggingOptions: '', registryCredentials: [] },
    systemModules: { edgeAgent: spec('edgeAgent'), edgeHub: spec('edgeHub') },
    modules: d.modules,
  };
  return { status: 200, errors: [], warnings: [], value: config };
};

/** An environment whose commands change an in-memory cluster. */
class MemoryEnvironment implements Environment {
  modules = new Map<string, CurrentModule>();
  down = false;
  readonly factory = new RecordingCommandFactory();
  async readCurrent(): Promise<CurrentState> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
    return { modules: new Map(this.modules) };
  }
  commandFactory() {
    const f = this.factory;
    const set = (m: ModuleSpec) => this.modules.set(m.name, { spec: m, replicas: m.status === 'running' ? 1 : 0, ...(m.status === 'running' ? { runtime: runtime({ image: m.image }) } : {}) });
    const wrap = <A extends unknown[]>(make: (...a: A) => ReturnType<RecordingCommandFactory['create']>, effect: (...a: A) => void) =>
      (...a: A) => {
        const c = make(...a);
        return { ...c, execute: async (s: AbortSignal) => (await c.execute(s), effect(...a)) };
      };
    return {
      create: wrap(f.create, set),
      update: wrap(f.update, set),
      start: wrap(f.start, set),
      stop: wrap(f.stop, set),
      remove: wrap(f.remove, (m: ModuleSpec) => void this.modules.delete(m.name)),
      stopByPolicy: f.stopByPolicy,
      waitReady: f.waitReady,
    };
  }
}

class MemoryReporter implements Reporter {
  patches: JsonObject[] = [];
  initial: JsonObject | undefined;
  failNext = false;
  async readReported() {
    return this.initial;
  }
  async report(patch: JsonObject) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('hub away');
    }
    this.patches.push(patch);
  }
}

function setup(desired: Record<string, unknown>, version = 1) {
  const doc = { version, desired };
  const source: ConfigSource & { doc: typeof doc } = { doc, getDesired: async () => source.doc };
  const environment = new MemoryEnvironment();
  const reporter = new MemoryReporter();
  const agent = new Agent({ configSource: source, environment, reporter, validate, clock: new FakeClock(), logger: silentLogger() });
  return { agent, source, environment, reporter, signal: new AbortController().signal };
}

describe('Agent.reconcileOnce', () => {
  it('applies a valid deployment and reports every module running with status 200', async () => {
    const { agent, environment, reporter, signal } = setup({ modules: [spec('a'), spec('b')] }, 3);
    const result = await agent.reconcileOnce(signal);
    expect(result).toMatchObject({ status: { code: 200 }, planLength: 2 });
    expect(environment.factory.executed).toEqual(['create a', 'create b']);
    expect(reporter.patches[0]).toMatchObject({
      lastDesiredVersion: 3,
      lastDesiredStatus: { code: 200, description: '' },
      modules: { a: { runtimeStatus: 'running' }, b: { runtimeStatus: 'running' } },
    });
  });

  it('writes nothing to the cluster or the twin on passes where nothing changed (level-triggered, idempotent)', async () => {
    const { agent, environment, reporter, signal } = setup({ modules: [spec('a')] });
    await agent.reconcileOnce(signal);
    expect(await agent.reconcileOnce(signal)).toMatchObject({ status: { code: 200 }, planLength: 0 });
    expect(await agent.reconcileOnce(signal)).toMatchObject({ status: { code: 200 }, planLength: 0 });
    expect(environment.factory.executed).toEqual(['create a']);
    expect(reporter.patches).toHaveLength(1);
  });

  it('keeps the last lastDesiredVersion when the deployment cannot be read (never nulls it)', async () => {
    const { agent, source, reporter, signal } = setup({ modules: [spec('a')] }, 4);
    await agent.reconcileOnce(signal);
    source.getDesired = async () => {
      throw new Error('twin read timed out');
    };
    await expect(agent.reconcileOnce(signal)).rejects.toThrow(/timed out/);
    expect(reporter.patches[1]).toEqual({ lastDesiredStatus: { code: 500, description: 'cannot read the deployment: twin read timed out' } });
    expect(agent.reported?.lastDesiredVersion).toBe(4);
  });

  it.each([
    [{ modules: 'nope' }, 400, /format is invalid/],
    [{ schemaVersion: '9.0' }, 412, /schema version/],
    [{}, 417, /empty/],
  ])('reports %j as %i and leaves the cluster untouched', async (desired, code, description) => {
    const { agent, source, environment, reporter, signal } = setup({ modules: [spec('a')] }, 1);
    await agent.reconcileOnce(signal);
    source.doc = { version: 2, desired };
    const result = await agent.reconcileOnce(signal);
    expect(result.status.code).toBe(code);
    expect(environment.factory.executed).toEqual(['create a']);
    expect([...environment.modules.keys()]).toEqual(['a']);
    expect(reporter.patches[1]).toMatchObject({ lastDesiredVersion: 2, lastDesiredStatus: { code } });
    expect((reporter.patches[1]!.lastDesiredStatus as { description: string }).description).toMatch(description);
  });

  it('reports 500 with the cause when the cluster cannot be read, keeps the last reported modules, and fails the pass', async () => {
    const { agent, environment, reporter, signal } = setup({ modules: [spec('a')] });
    await agent.reconcileOnce(signal);
    environment.down = true;
    await expect(agent.reconcileOnce(signal)).rejects.toThrow(/ECONNREFUSED/);
    expect(reporter.patches[1]).toEqual({ lastDesiredStatus: { code: 500, description: 'cannot read the cluster: connect ECONNREFUSED 127.0.0.1:6443' } });
  });

  it('reports 500 naming the failed command and recovers on a later pass', async () => {
    const { agent, environment, reporter, signal } = setup({ modules: [spec('a'), spec('b')] });
    environment.factory.failing.add('create b');
    const first = await agent.reconcileOnce(signal);
    expect(first.status).toEqual({ code: 500, description: 'create b failed: boom: create b' });
    expect(first.requeueAfterMs).toBe(10_000);
    expect(reporter.patches[0]).toMatchObject({ lastDesiredStatus: { code: 500 }, modules: { a: { runtimeStatus: 'running' } } });
  });

  it('re-sends a report the hub did not accept', async () => {
    const { agent, reporter, signal } = setup({ modules: [spec('a')] });
    reporter.failNext = true;
    await agent.reconcileOnce(signal);
    expect(reporter.patches).toHaveLength(0);
    await agent.reconcileOnce(signal);
    expect(reporter.patches[0]).toMatchObject({ lastDesiredStatus: { code: 200 }, modules: { a: {} } });
  });

  it('only sends the difference from what the twin already holds after a restart', async () => {
    const first = setup({ modules: [spec('a')] });
    await first.agent.reconcileOnce(first.signal);
    const twin = first.agent.reported!;
    const second = setup({ modules: [spec('a')] });
    second.environment.modules = first.environment.modules;
    second.reporter.initial = structuredClone(twin);
    await second.agent.reconcileOnce(second.signal);
    expect(second.environment.factory.executed).toEqual([]);
    expect(second.reporter.patches).toEqual([]);
  });

  it('reports 406 "Agent is not running" and unknown modules when it stops', async () => {
    const { agent, reporter, signal } = setup({ modules: [spec('a'), spec('b')] });
    await agent.reconcileOnce(signal);
    await agent.reportStopped(signal);
    expect(reporter.patches[1]).toEqual({
      lastDesiredStatus: { code: 406, description: 'Agent is not running' },
      systemModules: {
        edgeAgent: { runtimeStatus: 'unknown', statusDescription: 'Agent is not running' },
        edgeHub: { runtimeStatus: 'unknown', statusDescription: 'Agent is not running' },
      },
      modules: { a: { runtimeStatus: 'unknown' }, b: { runtimeStatus: 'unknown' } },
    });
  });

  it('shortens the report of a big deployment to fit the reported limit, and reports it whole again once it fits', async () => {
    const modules = Array.from({ length: 300 }, (_, i) => spec(`m${String(i).padStart(3, '0')}`, { env: { A: 'x'.repeat(20) } }));
    const { agent, source, reporter, signal } = setup({ modules }, 1);
    expect(await agent.reconcileOnce(signal)).toMatchObject({ status: { code: 200 } });
    const reported = agent.reported!;
    expect(Buffer.byteLength(JSON.stringify(reported))).toBeLessThanOrEqual(32 * 1024);
    expect(Object.keys(reported.modules as JsonObject)).toHaveLength(300);
    expect(reported).toMatchObject({ lastDesiredVersion: 1, lastDesiredStatus: { code: 200 }, reportShortened: { level: 'runtime-status' }, modules: { m299: { runtimeStatus: 'running' } } });
    expect(reported.modules).not.toHaveProperty('m000.env');
    source.doc = { version: 2, desired: { modules: [spec('a', { env: { A: '1' } })] } };
    await agent.reconcileOnce(signal);
    // the patch removes the marker and the 300 old entries, and the small deployment is reported in full
    expect(reporter.patches.at(-1)).toMatchObject({ reportShortened: null, modules: { m000: null, a: { env: { A: { value: '1' } }, settings: { image: 'example/a:1.0' } } } });
    expect(agent.reported).not.toHaveProperty('reportShortened');
  });

  it('logs and retries when the hub refuses even a shortened report for its size', async () => {
    const { agent, reporter, signal } = setup({ modules: [spec('a')] });
    const report = reporter.report.bind(reporter);
    let refusals = 1;
    reporter.report = async (patch) => {
      if (refusals-- > 0) throw new ReportTooLargeError('reported section would be 40000 bytes, more than 32768');
      await report(patch);
    };
    expect(await agent.reconcileOnce(signal)).toMatchObject({ status: { code: 200 } });
    expect(reporter.patches).toHaveLength(0);
    await agent.reconcileOnce(signal);
    expect(reporter.patches[0]).toMatchObject({ lastDesiredStatus: { code: 200 }, modules: { a: { runtimeStatus: 'running', env: {} } } });
  });

  it('does not mistake another report failure whose text mentions a size for a size refusal', async () => {
    const { agent, reporter, signal } = setup({ modules: [spec('a', { env: { BIG: 'x'.repeat(3000) } })] });
    const report = reporter.report.bind(reporter);
    let calls = 0;
    reporter.report = async (patch) => {
      calls++;
      if (calls === 1) throw new Error('socket buffer too large; more than 65536 bytes queued');
      await report(patch);
    };
    await agent.reconcileOnce(signal);
    expect(calls).toBe(1);
    await agent.reconcileOnce(signal);
    // full entries still: the first failure was not taken for IoT Hub's size limit
    expect(reporter.patches[0]!.modules).toHaveProperty('a.env');
  });

  it('ignores modules named like the system modules, which run inside edgemu', async () => {
    const { agent, environment, signal } = setup({ modules: [spec('edgeHub'), spec('a')] });
    const result = await agent.reconcileOnce(signal);
    expect(result.status.code).toBe(200);
    expect(environment.factory.executed).toEqual(['create a']);
  });
});
