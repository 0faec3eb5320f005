import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ANNOTATION_METHOD_RESTARTS, methodRestartsOf, withMethodRestarts } from '../../../runtime/agent/kubernetes/module-methods.js';
import { ANNOTATION_SPEC_HASH } from '../../../runtime/translate/labels.js';
import { runtime } from './helpers.js';

const deployment = (annotations: Record<string, string>): V1Deployment => ({ metadata: { name: 'filter', annotations } });
const record = (o: unknown) => JSON.stringify(o);

describe('RestartModule restarts counted on the Deployment', () => {
  it.each([
    ['none', {}, undefined],
    ['for the current spec', { [ANNOTATION_SPEC_HASH]: 'h1', [ANNOTATION_METHOD_RESTARTS]: record({ specHash: 'h1', count: 2, at: '2026-01-01T00:00:00.000Z' }) }, 2],
    ['for an older spec (a rollout starts again)', { [ANNOTATION_SPEC_HASH]: 'h2', [ANNOTATION_METHOD_RESTARTS]: record({ specHash: 'h1', count: 2, at: '2026-01-01T00:00:00.000Z' }) }, undefined],
    ['unreadable', { [ANNOTATION_SPEC_HASH]: 'h1', [ANNOTATION_METHOD_RESTARTS]: '{not json' }, undefined],
    ['with a count that is no number', { [ANNOTATION_SPEC_HASH]: 'h1', [ANNOTATION_METHOD_RESTARTS]: record({ specHash: 'h1', count: '2', at: 'x' }) }, undefined],
  ])('%s', (_name, annotations, count) => {
    expect(methodRestartsOf(deployment(annotations))?.count).toBe(count);
  });

  it('adds them to the pod restart count and takes the later restart time', () => {
    const r = { specHash: 'h', count: 1, at: '2026-02-01T00:00:00.000Z' };
    expect(withMethodRestarts(runtime({ restartCount: 2, lastRestartTimeUtc: '2026-01-01T00:00:00.000Z' }), r)).toMatchObject({ restartCount: 3, lastRestartTimeUtc: '2026-02-01T00:00:00.000Z' });
    expect(withMethodRestarts(runtime({ restartCount: 0 }), r)).toMatchObject({ restartCount: 1, lastRestartTimeUtc: '2026-02-01T00:00:00.000Z' });
    expect(withMethodRestarts(runtime({ restartCount: 4 }), undefined)).toMatchObject({ restartCount: 4 });
  });
});
