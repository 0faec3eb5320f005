import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startStoreApi, type StoreApiFixture } from './store-api-fixture.js';
import { sdkRegistry } from '../../helpers/service-sdk.js';
import { startAutomaticDeployments, type AutomaticDeployments } from '../../../runtime/service-api/index.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { FakeClock, flush } from '../../unit/agent/helpers.js';

type Manifest = { modulesContent: Record<string, Record<string, unknown>> };
const example = (name: string) => JSON.parse(readFileSync(new URL(`../../../deployments/examples/${name}.deployment.json`, import.meta.url), 'utf8')) as Manifest;

/**
 * When automatic deployments are evaluated (docs/deployments.md "When devices get their
 * deployment"): after the request, debounced, with a bound on the wait. A fake clock decides when
 * the quiet time is over, so nothing here depends on how fast the machine is.
 */
describe('automatic deployments are evaluated after the request, debounced', () => {
  let f: StoreApiFixture;
  let clock: FakeClock;
  let automatic: AutomaticDeployments;
  const timing = { debounceMs: 25, maxWaitMs: 500, sliceMs: 20 };

  const agentModules = (deviceId: string): string[] =>
    Object.keys((f.store.twins.get({ deviceId, moduleId: '$edgeAgent' })?.properties.desired as { modules?: object } | undefined)?.modules ?? {}).sort();
  const fleet = (n: number, tags: (i: number) => Record<string, string>) => {
    f.store.transaction(() => {
      for (let i = 0; i < n; i++) {
        f.store.identities.createDevice(`dev-${i}`, { edge: true });
        f.store.twins.update({ deviceId: `dev-${i}` }, { tags: tags(i) });
      }
    });
  };

  beforeEach(async () => {
    f = await startStoreApi();
    clock = new FakeClock();
  });
  afterEach(async () => {
    automatic?.close();
    await f?.close();
  });

  it('answers a PUT /configurations on a 1,000-device fleet before evaluating it, then the fleet converges', async () => {
    fleet(1000, (i) => ({ env: i % 2 === 0 ? 'prod' : 'dev' }));
    automatic = startAutomaticDeployments({ store: f.store, logger: silentLogger(), clock, timing });
    const registry = sdkRegistry(f.connectionString, f.port, f.ca);
    await registry.addConfiguration({ id: 'prod', content: example('temperature-filter'), targetCondition: "tags.env='prod'", priority: 1 } as never);
    // Answered: nothing is evaluated yet, every edge device is pending.
    expect(automatic.pending).toBe(1000);
    expect(agentModules('dev-0')).toEqual([]);
    const { responseBody } = await registry.getConfiguration('prod');
    expect((responseBody as unknown as { systemMetrics: { results: Record<string, number> } }).systemMetrics.results).toMatchObject({ targetedCount: 500, appliedCount: 0 });
    const passes = automatic.stats.passes;
    await clock.advance(timing.debounceMs);
    await automatic.settled();
    expect(automatic.stats.passes).toBe(passes + 1);
    expect(automatic.pending).toBe(0);
    expect(agentModules('dev-0')).toEqual(['SimulatedTemperatureSensor', 'filter']);
    expect(agentModules('dev-998')).toEqual(['SimulatedTemperatureSensor', 'filter']);
    expect(agentModules('dev-1')).toEqual([]);
    const { responseBody: after } = await registry.getConfiguration('prod');
    expect((after as unknown as { systemMetrics: { results: Record<string, number> } }).systemMetrics.results).toMatchObject({ targetedCount: 500, appliedCount: 500 });
  });

  it('evaluates a burst of tag changes in one pass once the hub has been quiet for the debounce time', async () => {
    fleet(50, () => ({ env: 'dev' }));
    f.store.configurations.put('prod', { targetCondition: "tags.env='prod'", priority: 1, content: example('temperature-filter') });
    automatic = startAutomaticDeployments({ store: f.store, logger: silentLogger(), clock, timing });
    const before = { ...automatic.stats };
    for (let i = 0; i < 50; i++) {
      f.store.twins.update({ deviceId: `dev-${i}` }, { tags: { env: 'prod' } });
      await clock.advance(5); // changes 5 ms apart: the quiet time never runs out during the burst
    }
    expect(automatic.stats.passes).toBe(before.passes);
    expect(automatic.pending).toBe(50);
    await clock.advance(timing.debounceMs);
    await automatic.settled();
    expect(automatic.stats).toEqual({ passes: before.passes + 1, evaluations: before.evaluations + 50 });
    expect(agentModules('dev-49')).toEqual(['SimulatedTemperatureSensor', 'filter']);
  });

  it('does not let a steady stream of changes postpone the evaluation past the longest wait', async () => {
    fleet(200, () => ({ env: 'dev' }));
    f.store.configurations.put('prod', { targetCondition: "tags.env='prod'", priority: 1, content: example('temperature-filter') });
    automatic = startAutomaticDeployments({ store: f.store, logger: silentLogger(), clock, timing });
    const passes = automatic.stats.passes;
    let elapsed = 0;
    for (let i = 0; automatic.stats.passes === passes; i++) {
      f.store.twins.update({ deviceId: `dev-${i}` }, { tags: { env: 'prod' } });
      await clock.advance(10);
      elapsed += 10;
      expect(elapsed).toBeLessThanOrEqual(timing.maxWaitMs + 10);
    }
    expect(elapsed).toBeGreaterThanOrEqual(timing.maxWaitMs);
    await automatic.settled();
    // the devices changed after the pass had started are in the next pass
    await clock.advance(timing.debounceMs);
    await automatic.settled();
    expect(automatic.pending).toBe(0);
    expect(agentModules('dev-0')).toEqual(['SimulatedTemperatureSensor', 'filter']);
  });

  it('starts over when a configuration changes during a pass, and converges on the latest configurations', async () => {
    fleet(300, () => ({ env: 'prod' }));
    automatic = startAutomaticDeployments({ store: f.store, logger: silentLogger(), clock, timing: { ...timing, sliceMs: 0 } });
    f.store.configurations.put('low', { targetCondition: "tags.env='prod'", priority: 1, content: example('temperature-filter') });
    await clock.advance(timing.debounceMs); // the pass starts and yields to the hub after every device
    expect(automatic.pending).toBeGreaterThan(0);
    f.store.configurations.put('high', { targetCondition: "tags.env='prod'", priority: 9, content: example('sample-modules') });
    await clock.advance(timing.debounceMs);
    await automatic.settled();
    for (const id of ['dev-0', 'dev-150', 'dev-299']) {
      expect(agentModules(id)).toEqual(['echo', 'filter', 'sensor']);
      expect(f.store.configurations.deviceState(id)?.statuses).toEqual({ low: 'Targeted', high: 'Applied' });
    }
  });

  it('is settled at once when nothing is pending, and close ends every wait', async () => {
    fleet(3, () => ({ env: 'prod' }));
    automatic = startAutomaticDeployments({ store: f.store, logger: silentLogger(), clock, timing });
    await automatic.settled();
    f.store.twins.update({ deviceId: 'dev-0' }, { tags: { env: 'dev' } });
    let settled = false;
    const waiting = automatic.settled().then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    automatic.close();
    await waiting;
    expect(settled).toBe(true);
    // closed: later changes are not evaluated
    const { evaluations } = automatic.stats;
    f.store.twins.update({ deviceId: 'dev-1' }, { tags: { env: 'dev' } });
    await clock.advance(timing.maxWaitMs);
    expect(automatic.stats.evaluations).toBe(evaluations);
  });
});
