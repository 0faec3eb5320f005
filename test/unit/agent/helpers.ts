import type { Clock } from '../../../runtime/clock.js';
import type { ModuleSpec } from '../../../runtime/manifest/model.js';
import type { Command, CommandFactory, CommandKind } from '../../../runtime/agent/command.js';
import { commandId } from '../../../runtime/agent/command.js';
import type { CurrentModule, CurrentState, ModuleRuntimeInfo } from '../../../runtime/agent/runtime-info.js';

export { spec } from '../../helpers/manifest-builders.js';

export function runtime(over: Partial<ModuleRuntimeInfo> = {}): ModuleRuntimeInfo {
  return {
    runtimeStatus: 'running',
    statusDescription: 'Started at 2026-01-01T00:00:00.000Z',
    exitCode: 0,
    lastStartTimeUtc: '2026-01-01T00:00:00.000Z',
    lastExitTimeUtc: '0001-01-01T00:00:00Z',
    restartCount: 0,
    lastRestartTimeUtc: '0001-01-01T00:00:00Z',
    image: 'example/x:1.0',
    hasExited: false,
    ready: true,
    ...over,
  };
}

/** Current state from specs: running ones have 1 replica and a running pod unless overridden. */
export function current(...modules: Array<ModuleSpec | (Partial<CurrentModule> & { spec: ModuleSpec })>): CurrentState {
  const map = new Map<string, CurrentModule>();
  for (const m of modules) {
    const cm: CurrentModule = 'spec' in m ? { replicas: m.spec.status === 'running' ? 1 : 0, ...m } : { spec: m, replicas: m.status === 'running' ? 1 : 0 };
    if (!('spec' in m) && m.status === 'running') cm.runtime = runtime({ image: m.image });
    map.set(cm.spec.name, cm);
  }
  return { modules: map };
}

/** Records `kind module…` for every executed command (IoT Edge's TestCommandFactory / TestPlanRecorder). */
export class RecordingCommandFactory implements CommandFactory {
  readonly executed: string[] = [];
  /** Command descriptions that throw when executed. */
  readonly failing = new Set<string>();
  private make(kind: CommandKind, modules: readonly ModuleSpec[], extra = ''): Command {
    const names = modules.map((m) => m.name);
    const text = `${kind} ${names.join(',')}${extra}`;
    return {
      id: commandId(kind, names, modules.map((m) => m.image).join(',')),
      kind,
      modules: names,
      describe: () => text,
      execute: async () => {
        this.executed.push(text);
        if (this.failing.has(text)) throw new Error(`boom: ${text}`);
      },
    };
  }
  create = (m: ModuleSpec) => this.make('create', [m]);
  update = (m: ModuleSpec) => this.make('update', [m]);
  start = (m: ModuleSpec) => this.make('start', [m]);
  stop = (m: ModuleSpec) => this.make('stop', [m]);
  remove = (m: ModuleSpec) => this.make('remove', [m]);
  stopByPolicy = (m: ModuleSpec, r: { runtimeStatus: string }) => this.make('stop-by-policy', [m], ` (${r.runtimeStatus})`);
  waitReady = (ms: readonly ModuleSpec[]) => this.make('wait-ready', ms);
}

/** A clock tests move by hand; sleepers wake when `advance` passes their deadline. */
export class FakeClock implements Clock {
  private t: number;
  private sleepers: Array<{ at: number; resolve: () => void }> = [];
  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const entry = { at: this.t + ms, resolve };
      this.sleepers.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== entry);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }
  /** Pending sleepers (for asserting the loop is waiting). */
  get pending(): number {
    return this.sleepers.length;
  }
  async advance(ms: number): Promise<void> {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.at <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.at > this.t);
    for (const s of due) s.resolve();
    await flush();
  }
}

/** Lets pending promise callbacks run. */
export async function flush(times = 20): Promise<void> {
  for (let i = 0; i < times; i += 1) await new Promise<void>((r) => setImmediate(r));
}
