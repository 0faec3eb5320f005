import { describe, expect, it } from 'vitest';
import { nextDeviceState, contentDigest, edgeDeploymentOf, failedWrite } from '../../../runtime/service-api/automatic-deployments.js';
import type { DeviceConfigurationState } from '../../../runtime/hub/index.js';

const content = { $edgeAgent: { 'properties.desired': { modules: {} } } };

describe('nextDeviceState', () => {
  it.each<[string, DeviceConfigurationState | undefined, Parameters<typeof nextDeviceState>[1], DeviceConfigurationState]>([
    [
      'applied: the base and its layers Applied, the others Targeted, the new digest',
      undefined,
      { kind: 'applied', targeted: ['low', 'base', 'layer'], base: 'base', layers: ['layer'], modulesContent: content },
      { statuses: { low: 'Targeted', base: 'Applied', layer: 'Applied' }, appliedDigest: contentDigest(content) },
    ],
    [
      'no base any more: the last digest is kept (the device keeps its content)',
      { statuses: { base: 'Applied' }, appliedDigest: 'd1' },
      { kind: 'none', targeted: ['layer'] },
      { statuses: { layer: 'Targeted' }, appliedDigest: 'd1' },
    ],
    [
      'invalid merge: still Applied and its digest (it is written for the agent to refuse), the problem kept',
      { statuses: {}, appliedDigest: 'd1' },
      { kind: 'invalid', targeted: ['other', 'base', 'bad'], base: 'base', layers: ['bad'], status: 400, errors: [{ path: '/x', message: 'broken' }] as never, modulesContent: content },
      {
        statuses: { other: 'Targeted', base: 'Applied', bad: 'Applied' },
        appliedDigest: contentDigest(content),
        error: { status: 400, message: '/x: broken', base: 'base', layers: ['bad'] },
      },
    ],
    [
      'the first resolution with no base: nothing kept, nothing Applied',
      undefined,
      { kind: 'none', targeted: [] },
      { statuses: {} },
    ],
  ])('%s', (_what, previous, resolved, expected) => {
    expect(nextDeviceState(previous, resolved)).toEqual(expected);
  });

  it('keeps a write the twins refused as the problem, with everything Targeted and the last digest', () => {
    const refused = Object.assign(new Error('invalid twin document: too large'), { status: 400 });
    expect(failedWrite({ statuses: { base: 'Applied' }, appliedDigest: 'd0' }, { kind: 'applied', targeted: ['base', 'l'], base: 'base', layers: ['l'], modulesContent: content }, refused)).toEqual({
      statuses: { base: 'Targeted', l: 'Targeted' },
      appliedDigest: 'd0',
      error: { status: 400, message: 'invalid twin document: too large', base: 'base', layers: ['l'] },
    });
    expect(failedWrite(undefined, { kind: 'applied', targeted: ['b'], base: 'b', layers: [], modulesContent: content }, 'boom').error).toMatchObject({ status: 500, message: 'boom' });
  });

  it('gives equal content the same digest and different content another', () => {
    expect(contentDigest(structuredClone(content))).toBe(contentDigest(content));
    expect(contentDigest({ $edgeAgent: {} })).not.toBe(contentDigest(content));
  });

  it('reads a stored configuration as a deployment, creation time as the tie-breaker', () => {
    expect(edgeDeploymentOf({ id: 'x', version: 2, createdTimeUtc: '2026-01-01T00:00:00.000Z', lastUpdatedTimeUtc: '', doc: { content: { modulesContent: content } } })).toEqual({
      id: 'x',
      targetCondition: '',
      priority: 0,
      createdAt: Date.parse('2026-01-01T00:00:00.000Z'),
      content: { modulesContent: content },
    });
  });
});
