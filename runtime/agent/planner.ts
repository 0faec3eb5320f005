import type { ModuleSpec } from '../manifest/index.js';
import type { Command, CommandFactory } from './command.js';
import { diffModuleSets, type ModuleSet } from './module-set.js';
import { agentStopDecision, DEFAULT_RESTART_POLICY_OPTIONS, type RestartPolicyOptions } from './restart-policy.js';
import { currentModuleSet, type CurrentState } from './runtime-info.js';

/** A plan: the ordered commands of one reconcile pass (IoT Edge `Plan.cs`). Empty = nothing to do. */
export type Plan = readonly Command[];

export interface PlanInput {
  desired: ModuleSet;
  current: CurrentState;
  restartPolicy?: RestartPolicyOptions;
}

interface GroupWork {
  removes: ModuleSpec[];
  creates: ModuleSpec[];
  updates: Array<{ want: ModuleSpec; have: ModuleSpec }>;
  starts: ModuleSpec[];
  stops: ModuleSpec[];
  policyStops: Command[];
  /** Modules this group brings up, which later groups wait for. */
  bringsUp: ModuleSpec[];
}

/**
 * Builds the plan that makes current match desired, as IoT Edge's `HealthRestartPlanner` does,
 * adapted to Kubernetes. Pure: it only asks the factory for commands.
 *
 * - Modules are grouped by `startupOrder` ascending (removed modules by their current order);
 *   each group's commands come before the next group's, in the order remove → create → update
 *   → start/stop → restart-policy stops.
 * - When a later group has work, a `wait-ready` for the modules this group brought up sits
 *   between them (`doc/ModuleStartupOrder.md`: a module starts after the lower orders).
 * - A status-only change is start/stop (scale), never a recreate.
 * - Drift is repaired: a workload whose replicas disagree with its desired status (someone
 *   scaled it by hand) is started or stopped again; one whose container image was changed by
 *   hand (`drifted`) is applied again.
 * - Restart policy: see `agentStopDecision` (`never` → scale to 0 after an exit; restart budget
 *   exhausted → scale to 0 and report `failed`). A module the agent stopped that way stays
 *   stopped until a deployment changes it.
 */
export function planReconcile(input: PlanInput, factory: CommandFactory): Plan {
  const options = input.restartPolicy ?? DEFAULT_RESTART_POLICY_OPTIONS;
  const diff = diffModuleSets(input.desired, currentModuleSet(input.current));
  const groups = new Map<number, GroupWork>();
  const group = (order: number): GroupWork => {
    let g = groups.get(order);
    if (!g) {
      g = { removes: [], creates: [], updates: [], starts: [], stops: [], policyStops: [], bringsUp: [] };
      groups.set(order, g);
    }
    return g;
  };

  for (const m of diff.removed) group(m.startupOrder).removes.push(m);
  for (const m of diff.added) {
    const g = group(m.startupOrder);
    g.creates.push(m);
    if (m.status === 'running') g.bringsUp.push(m);
  }
  for (const m of diff.updated) {
    const g = group(m.startupOrder);
    g.updates.push({ want: m, have: input.current.modules.get(m.name)!.spec });
    if (m.status === 'running') g.bringsUp.push(m);
  }
  const touched = new Set([...diff.added, ...diff.updated, ...diff.removed].map((m) => m.name));
  for (const m of diff.desiredStatusChanged) {
    touched.add(m.name);
    const g = group(m.startupOrder);
    if (m.status === 'running') {
      g.starts.push(m);
      g.bringsUp.push(m);
    } else g.stops.push(m);
  }
  // Unchanged modules: repair drift, then apply the restart policy.
  for (const [name, want] of input.desired) {
    if (touched.has(name)) continue;
    const have = input.current.modules.get(name);
    if (!have) continue;
    if (have.drifted) {
      // Someone edited the workload by hand: apply it again, forcing ownership back (SSA force).
      group(want.startupOrder).updates.push({ want, have: have.spec });
      if (want.status === 'running' && !have.agentStop) group(want.startupOrder).bringsUp.push(want);
      continue;
    }
    const expectedReplicas = want.status === 'running' && !have.agentStop ? 1 : 0;
    if (have.replicas !== expectedReplicas) {
      const g = group(want.startupOrder);
      if (expectedReplicas === 1) {
        g.starts.push(want);
        g.bringsUp.push(want);
      } else g.stops.push(want);
      continue;
    }
    const stop = agentStopDecision(have, options);
    if (stop) group(want.startupOrder).policyStops.push(factory.stopByPolicy(want, stop));
  }

  const byName = (a: ModuleSpec, b: ModuleSpec) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const orders = [...groups.keys()].sort((a, b) => a - b);
  const plan: Command[] = [];
  orders.forEach((order, i) => {
    const g = groups.get(order)!;
    // Modules of one group do not depend on each other: their commands form one batch.
    const batch: Command[] = [];
    for (const m of g.removes) batch.push(factory.remove(m));
    for (const m of g.creates) batch.push(factory.create(m));
    for (const { want, have } of g.updates) batch.push(factory.update(want, have));
    for (const m of g.starts.sort(byName)) batch.push(factory.start(m));
    for (const m of g.stops.sort(byName)) batch.push(factory.stop(m));
    batch.push(...g.policyStops);
    for (const c of batch) plan.push({ ...c, batch: i });
    const laterWork = orders.slice(i + 1).some((o) => {
      const later = groups.get(o)!;
      return later.creates.length + later.updates.length + later.starts.length > 0;
    });
    if (laterWork && g.bringsUp.length > 0) plan.push(factory.waitReady([...g.bringsUp].sort(byName)));
  });
  return plan;
}
