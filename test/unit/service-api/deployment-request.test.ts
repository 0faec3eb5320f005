import { describe, expect, it } from 'vitest';
import { deploymentRequest, formatDeploymentTable, formatDeploymentDetails } from '../../../runtime/service-api/deployment-request.js';

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
