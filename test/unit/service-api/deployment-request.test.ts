import { describe, expect, it } from 'vitest';
import { deploymentRequest, deploymentUpdateRequest, formatDeploymentTable, formatDeploymentDetails } from '../../../runtime/service-api/deployment-request.js';

const base = { modulesContent: { $edgeAgent: { 'properties.desired': { modules: { sensor: {} } } }, $edgeHub: { 'properties.desired': {} } } };
const layer = { modulesContent: { $edgeAgent: { 'properties.desired.modules.echo': {} } } };
const input = (over: Partial<Parameters<typeof deploymentRequest>[0]> = {}) => ({ id: 'd', content: base, targetCondition: '*', priority: 3, layered: false, ...over });

describe('deploymentRequest', () => {
  it.each<[string, unknown, boolean]>([
    ['a bare {"modulesContent"} file', base, false],
    ['a {"content": {"modulesContent"}} file', { content: base }, false],
    ['a layer with --layered', layer, true],
  ])('builds the configuration body from %s', (_what, content, layered) => {
    expect(deploymentRequest(input({ content, layered }))).toEqual({
      id: 'd',
      schemaVersion: '1.0',
      content: { modulesContent: (layered ? layer : base).modulesContent },
      targetCondition: '*',
      priority: 3,
      labels: {},
    });
  });

  it('takes the metrics file in both shapes, and labels', () => {
    const queries = { ok: 'SELECT deviceId FROM devices' };
    expect(deploymentRequest(input({ metrics: { queries }, labels: { a: 'b' } }))).toMatchObject({ metrics: { queries }, labels: { a: 'b' } });
    expect(deploymentRequest(input({ metrics: { metrics: { queries } } }))).toMatchObject({ metrics: { queries } });
  });

  it.each<[string, Partial<Parameters<typeof deploymentRequest>[0]>, RegExp]>([
    ['content that is no object', { content: [] }, /JSON object/],
    ['content without modulesContent', { content: { content: {} } }, /no "modulesContent"/],
    ['a layer without --layered', { content: layer }, /add --layered/],
    ['a whole deployment with --layered', { layered: true }, /--layered was given/],
    ['a metrics file without queries', { metrics: { nothing: 1 } }, /metrics file/],
  ])('refuses %s', (_what, over, message) => {
    expect(() => deploymentRequest(input(over))).toThrow(message);
  });
});

describe('deployment output', () => {
  const config = {
    id: 'prod',
    priority: 10,
    targetCondition: "tags.env='prod'",
    content: base,
    systemMetrics: { results: { targetedCount: 2, appliedCount: 1, reportedSuccessfulCount: 1, reportedFailedCount: 0 } },
    metrics: { results: { mine: 4 } },
  };

  it('lists deployments one per line with their metrics', () => {
    expect(formatDeploymentTable([config, { id: 'layer-1', priority: 20, targetCondition: '*', content: layer }])).toBe(
      [
        'ID       KIND     PRIORITY  TARGETED  APPLIED  SUCCESS  FAILED  TARGET CONDITION',
        "prod     base     10        2         1        1        0       tags.env='prod'",
        'layer-1  layered  20                                            *',
        '',
      ].join('\n'),
    );
    expect(formatDeploymentTable([])).toBe('no deployments\n');
  });

  it('shows the modules of a base and of a layer, and every metric', () => {
    const shown = formatDeploymentDetails(config);
    expect(shown).toMatch(/kind\s+base\n/);
    expect(shown).toMatch(/modules\s+sensor\n/);
    expect(shown).toContain('  targetedCount 2\n');
    expect(shown).toContain('  mine 4 (custom)\n');
    expect(formatDeploymentDetails({ id: 'l', content: layer, targetCondition: '' })).toMatch(/kind\s+layered\n[^]*target condition \(none: targets no device\)\nmodules\s+echo\n/);
  });
});

describe('deploymentUpdateRequest', () => {
  const current = {
    id: 'd',
    schemaVersion: '1.0',
    labels: { team: 'a' },
    content: base,
    targetCondition: "tags.env='prod'",
    priority: 3,
    metrics: { queries: { old: 'SELECT deviceId FROM devices' }, results: { old: 2 } },
    systemMetrics: { results: { targetedCount: 2 } },
    createdTimeUtc: '2026-12-02T00:00:00Z',
    etag: 'MQ==',
  };

  it.each<[string, Parameters<typeof deploymentUpdateRequest>[1], Record<string, unknown>]>([
    ['the target condition', { targetCondition: "tags.env='dev'" }, { targetCondition: "tags.env='dev'", priority: 3, labels: { team: 'a' } }],
    ['the priority', { priority: 0 }, { targetCondition: "tags.env='prod'", priority: 0 }],
    ['the labels, all of them', { labels: { owner: 'b' } }, { labels: { owner: 'b' } }],
    ['the metrics, from either file shape', { metrics: { metrics: { queries: { n: 'SELECT deviceId FROM devices' } } } }, { metrics: { queries: { n: 'SELECT deviceId FROM devices' } } }],
  ])('changes %s and keeps the rest, content included', (_what, changes, expected) => {
    const body = deploymentUpdateRequest(current, changes);
    expect(body).toMatchObject({ id: 'd', schemaVersion: '1.0', content: base, ...expected });
    expect(Object.keys(body).sort()).toEqual(['content', 'id', 'labels', 'metrics', 'priority', 'schemaVersion', 'targetCondition']);
  });

  it('keeps the custom metric queries (not their results) when metrics are not given', () => {
    expect(deploymentUpdateRequest(current, { priority: 1 }).metrics).toEqual({ queries: { old: 'SELECT deviceId FROM devices' } });
  });

  it.each<[string, Parameters<typeof deploymentUpdateRequest>[1], RegExp]>([
    ['nothing to change', {}, /nothing to update/],
    ['a metrics file without queries', { metrics: { nope: 1 } }, /metrics file must hold/],
  ])('refuses %s with DEPLOYMENT_INPUT', (_what, changes, message) => {
    expect(() => deploymentUpdateRequest(current, changes)).toThrow(expect.objectContaining({ code: 'DEPLOYMENT_INPUT', message: expect.stringMatching(message) }));
  });
});
