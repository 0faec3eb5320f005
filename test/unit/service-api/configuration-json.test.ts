import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseConfigurationInput, targetConditionError, metricQueryError, isLayeredDeploymentContent } from '../../../runtime/service-api/configuration-json.js';

const manifest = JSON.parse(readFileSync(new URL('../../../deployments/examples/temperature-filter.deployment.json', import.meta.url), 'utf8')) as { modulesContent: Record<string, unknown> };
const layer = { modulesContent: { $edgeAgent: { 'properties.desired.modules.echo': { version: '1.0', type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'edgemu/echo:0.1.0' } } } } };
const body = (over: Record<string, unknown> = {}) => ({ id: 'prod', content: manifest, targetCondition: "tags.env='prod'", priority: 10, ...over });

describe('parseConfigurationInput', () => {
  it('reads a base deployment with defaults for what is left out', () => {
    expect(parseConfigurationInput({ content: manifest }, 'prod')).toMatchObject({ id: 'prod', schemaVersion: '1.0', labels: {}, targetCondition: '', priority: 0, metricQueries: {} });
    expect(parseConfigurationInput(body({ labels: { a: 'b' }, metrics: { queries: { x: 'SELECT deviceId FROM devices' } } }), 'prod')).toMatchObject({
      priority: 10,
      labels: { a: 'b' },
      metricQueries: { x: 'SELECT deviceId FROM devices' },
    });
  });

  it('reads a layered deployment by the layer rules', () => {
    const input = parseConfigurationInput(body({ content: layer }), 'prod');
    expect(isLayeredDeploymentContent(input.content)).toBe(true);
    expect(isLayeredDeploymentContent({ modulesContent: manifest.modulesContent as never })).toBe(false);
  });

  it('accepts the empty deviceContent and moduleContent the SDK echoes back', () => {
    expect(() => parseConfigurationInput(body({ content: { ...manifest, deviceContent: {}, moduleContent: null } }), 'prod')).not.toThrow();
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a body that is no object', [], 'prod', /configuration object/],
    ['an id with capitals', body({ id: 'Prod' }), 'Prod', /id 'Prod' is invalid/],
    ['an id longer than 128', body({ id: 'a'.repeat(129) }), 'a'.repeat(129), /is invalid/],
    ['a body id other than the path', body({ id: 'other' }), 'prod', /differs/],
    ['a target condition that does not parse', body({ targetCondition: "tags.env = 'prod' AND" }), 'prod', /targetCondition is invalid/],
    ['a negative priority', body({ priority: -1 }), 'prod', /non-negative integer/],
    ['a fractional priority', body({ priority: 1.5 }), 'prod', /non-negative integer/],
    ['labels that are not strings', body({ labels: { a: 1 } }), 'prod', /labels/],
    ['a metric query that does not parse', body({ metrics: { queries: { x: 'SELECT FROM' } } }), 'prod', /metrics.queries.x is invalid/],
    ['device configuration content', body({ content: { deviceContent: { 'properties.desired.x': 1 } } }), 'prod', /IoT Edge deployments only/],
    ['a manifest without $edgeAgent runtime', body({ content: { modulesContent: { $edgeAgent: { 'properties.desired': { schemaVersion: '1.1' } } } } }), 'prod', /deployment content is invalid/],
    ['a layer setting a system module', body({ content: { modulesContent: { $edgeAgent: { 'properties.desired.systemModules.edgeHub': {} } } } }), 'prod', /layered deployment content is invalid/],
  ])('refuses %s with 400', (_what, input, id, message) => {
    expect(() => parseConfigurationInput(input, id)).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(message) }));
  });
});

describe('query checks of testQueries', () => {
  it.each<[string, boolean]>([
    ['', true],
    ['*', true],
    ["tags.env='prod' AND properties.reported.fw > 1", true],
    ["tags.env = 'prod' AND", false],
    ['tags.env = ', false],
  ])('target condition %j is fine: %s', (condition, fine) => {
    expect(targetConditionError(condition) === undefined).toBe(fine);
  });

  it('names the position of a metric query error', () => {
    expect(metricQueryError('SELECT deviceId FROM devices')).toBeUndefined();
    expect(metricQueryError('SELECT deviceId FROM nowhere')).toMatch(/position \d+/);
  });
});
