import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolveDeviceDeployment, mergeLayer, isBaseDeployment, type EdgeDeployment } from '../../../runtime/service-api/resolve-deployments.js';

const manifest = JSON.parse(readFileSync(new URL('../../../deployments/examples/temperature-filter.deployment.json', import.meta.url), 'utf8')) as EdgeDeployment['content'];

const base = (id: string, targetCondition: string, priority: number, createdAt = 0): EdgeDeployment => ({ id, targetCondition, priority, createdAt, content: structuredClone(manifest) });
const echoModule = { version: '1.0', type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'edgemu/echo:0.1.0', createOptions: '{}' } };
const layer = (id: string, targetCondition: string, priority: number, extra: Record<string, Record<string, unknown>> = {}): EdgeDeployment => ({
  id,
  targetCondition,
  priority,
  createdAt: 0,
  content: {
    modulesContent: {
      $edgeAgent: { 'properties.desired.modules.echo': echoModule },
      $edgeHub: { 'properties.desired.routes.echoUp': 'FROM /messages/modules/echo/outputs/* INTO $upstream' },
      echo: { 'properties.desired': { greeting: id } },
      ...extra,
    },
  },
});
const device = (tags: Record<string, unknown>) => ({ deviceId: 'd', tags, capabilities: { iotEdge: true }, properties: { desired: {}, reported: {} } });

describe('resolveDeviceDeployment', () => {
  it('tells base deployments from layers', () => {
    expect(isBaseDeployment(base('b', '*', 1))).toBe(true);
    expect(isBaseDeployment(layer('l', '*', 1))).toBe(false);
  });

  it('gives a device the highest-priority matching base deployment, the newer on a tie', () => {
    const prod = base('prod', "tags.env='prod'", 10);
    const all = base('all', '*', 1);
    const newer = base('newer', "tags.env='prod'", 10, 5);
    expect(resolveDeviceDeployment([prod, all], device({ env: 'prod' }))).toMatchObject({ kind: 'applied', base: 'prod' });
    expect(resolveDeviceDeployment([prod, all], device({ env: 'dev' }))).toMatchObject({ kind: 'applied', base: 'all' });
    expect(resolveDeviceDeployment([prod, newer], device({ env: 'prod' }))).toMatchObject({ base: 'newer' });
    expect(resolveDeviceDeployment([prod], device({ env: 'dev' }))).toEqual({ kind: 'none', targeted: [] });
    expect(resolveDeviceDeployment([prod, all], device({ env: 'prod' }))).toMatchObject({ targeted: ['prod', 'all'] });
    expect(resolveDeviceDeployment([base('empty', '', 99)], device({}))).toEqual({ kind: 'none', targeted: [] });
  });

  it('merges matching layers on top of the base: a module, its twin and a route', () => {
    const r = resolveDeviceDeployment([base('prod', "tags.env='prod'", 10), layer('site-a', "tags.site='a'", 20)], device({ env: 'prod', site: 'a' }));
    if (r.kind !== 'applied') throw new Error(JSON.stringify(r));
    expect(r.layers).toEqual(['site-a']);
    const agent = r.modulesContent.$edgeAgent!['properties.desired'] as { modules: Record<string, unknown> };
    expect(Object.keys(agent.modules).sort()).toEqual(['SimulatedTemperatureSensor', 'echo', 'filter']);
    expect((r.modulesContent.$edgeHub!['properties.desired'] as { routes: Record<string, unknown> }).routes.echoUp).toBeDefined();
    expect(r.modulesContent.echo!['properties.desired']).toEqual({ greeting: 'site-a' });
    expect(resolveDeviceDeployment([base('prod', "tags.env='prod'", 10), layer('site-a', "tags.site='a'", 20)], device({ env: 'prod', site: 'b' }))).toMatchObject({ layers: [] });
  });

  it('lets the higher-priority layer win a conflict', () => {
    const r = resolveDeviceDeployment([base('b', '*', 1), layer('high', '*', 30), layer('low', '*', 5)], device({}));
    if (r.kind !== 'applied') throw new Error(JSON.stringify(r));
    expect(r.layers).toEqual(['low', 'high']);
    expect(r.modulesContent.echo!['properties.desired']).toEqual({ greeting: 'high' });
  });

  it('applies no layer without a base', () => {
    expect(resolveDeviceDeployment([layer('l', '*', 1)], device({}))).toEqual({ kind: 'none', targeted: ['l'] });
  });

  it('judges a layer that makes the merged manifest invalid: every problem, with the merged content', () => {
    const broken = layer('broken', '*', 5, { $edgeAgent: { 'properties.desired.modules.bad': { type: 'docker', settings: {} } } });
    const r = resolveDeviceDeployment([base('b', '*', 1), broken], device({}));
    expect(r).toMatchObject({ kind: 'invalid', base: 'b', layers: ['broken'] });
    if (r.kind === 'invalid') expect(r.errors.map((e) => e.path).join(' ')).toMatch(/modules\/bad/);
    // The merged content comes with the problems: IoT Hub writes it and the device's edgeAgent refuses it.
    if (r.kind === 'invalid') expect(Object.keys((r.modulesContent.$edgeAgent!['properties.desired'] as { modules: object }).modules)).toContain('bad');
  });

  it('targets nothing with a condition that does not parse', () => {
    expect(resolveDeviceDeployment([base('b', "tags.env = 'prod' AND", 1)], device({ env: 'prod' }))).toEqual({ kind: 'none', targeted: [] });
  });
});

describe('mergeLayer', () => {
  it('sets dotted desired paths and replaces whole desired sections', () => {
    const merged = mergeLayer({ m: { 'properties.desired': { a: { b: 1, c: 2 } } } }, { m: { 'properties.desired.a.b': 9, 'properties.desired.x.y': true }, n: { 'properties.desired': { z: 1 } } });
    expect(merged).toEqual({ m: { 'properties.desired': { a: { b: 9, c: 2 }, x: { y: true } } }, n: { 'properties.desired': { z: 1 } } });
  });
});
