import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { moduleRuntimeInfo, podRuntimeInfo } from '../../../runtime/agent/pod-status.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:00:10.000Z';

function pod(phase: string | undefined, container?: Record<string, unknown>, extra: Partial<V1Pod> = {}): V1Pod {
  return {
    metadata: { name: 'p', creationTimestamp: new Date(T0) },
    ...(phase === undefined
      ? {}
      : { status: { phase, conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: container ? [{ name: 'mod', image: 'example/m:1.0', imageID: '', ready: true, restartCount: 0, ...container }] : [] } }),
    ...extra,
  } as V1Pod;
}

describe('podRuntimeInfo (PodExtensions.ConvertToRuntime)', () => {
  it.each([
    ['Running', { state: { running: { startedAt: new Date(T0) } } }, 'running', /Started at/],
    ['Running', { state: { waiting: { reason: 'CrashLoopBackOff' } } }, 'backoff', /Back-off reason: CrashLoopBackOff/],
    ['Running', { state: { terminated: { exitCode: 2, reason: 'Error' } } }, 'failed', /Failed reason: Error/],
    ['Running', { state: { terminated: { exitCode: 0, reason: 'Completed' } } }, 'stopped', /Stopped reason: Completed/],
    ['Running', undefined, 'failed', /unknown container status/],
    ['Running', { state: { waiting: { reason: 'CreateContainerConfigError' } } }, 'backoff', /Back-off reason: CreateContainerConfigError/],
    ['Pending', { state: { waiting: { reason: 'ContainerCreating' } } }, 'unknown', /being created reason: ContainerCreating/],
    ['Pending', { state: { waiting: { reason: 'PodInitializing' } } }, 'unknown', /being created reason: PodInitializing/],
    ['Pending', { state: { waiting: { reason: 'ImagePullBackOff' } } }, 'backoff', /Back-off reason: ImagePullBackOff/],
    ['Pending', { state: { waiting: { reason: 'ErrImagePull' } } }, 'backoff', /Back-off reason: ErrImagePull/],
    ['Pending', { state: { waiting: {} } }, 'backoff', /Back-off reason: Waiting/],
    ['Pending', { state: { running: {} } }, 'unknown', /starting/],
    ['Pending', { state: { terminated: { exitCode: 1 } } }, 'failed', /terminated/],
    ['Succeeded', { state: { terminated: { exitCode: 0 } } }, 'stopped', /Stopped/],
    ['Failed', { state: { terminated: { exitCode: 1, reason: 'Error' } } }, 'failed', /Failed|Error/],
    ['Unknown', { state: {} }, 'unknown', /Unknown/],
    [undefined, undefined, 'unknown', /Unable to get pod status/],
  ])('maps phase %s with container %j to %s', (phase, container, status, description) => {
    const info = podRuntimeInfo(pod(phase, container as Record<string, unknown> | undefined), 'mod');
    expect(info.runtimeStatus).toBe(status);
    expect(info.statusDescription).toMatch(description);
  });

  it.each([
    ['just created, not scheduled yet', [], 'unknown', /waiting to be scheduled/],
    ['scheduled, no container status yet', [{ type: 'PodScheduled', status: 'True' }], 'unknown', /being created/],
    [
      'scheduled, containers not ready yet',
      [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [mod]' },
      ],
      'unknown',
      /being created/,
    ],
    ['unschedulable', [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }], 'failed', /0\/1 nodes are available/],
  ])('maps a Pending pod without container status that is %s to %s', (_what, conditions, status, description) => {
    const info = podRuntimeInfo({ metadata: { name: 'p' }, status: { phase: 'Pending', conditions } } as V1Pod, 'mod');
    expect(info.runtimeStatus).toBe(status);
    expect(info.statusDescription).toMatch(description);
  });

  it('takes exit code, times and restart count from a crash-looping container', () => {
    const info = podRuntimeInfo(
      pod('Running', {
        restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { exitCode: 137, startedAt: new Date(T0), finishedAt: new Date(T1) } },
      }),
      'mod',
    );
    expect(info).toMatchObject({
      runtimeStatus: 'backoff',
      exitCode: 137,
      restartCount: 3,
      lastStartTimeUtc: T0,
      lastExitTimeUtc: T1,
      lastRestartTimeUtc: T1,
      hasExited: true,
      image: 'example/m:1.0',
    });
  });

  it('reports exit code 0 for a running container that crashed before, keeping the last exit time (as Docker does)', () => {
    const info = podRuntimeInfo(
      pod('Running', { restartCount: 2, state: { running: { startedAt: new Date(T1) } }, lastState: { terminated: { exitCode: 3, startedAt: new Date(T0), finishedAt: new Date(T0) } } }),
      'mod',
    );
    expect(info).toMatchObject({ runtimeStatus: 'running', exitCode: 0, lastStartTimeUtc: T1, lastExitTimeUtc: T0, restartCount: 2, lastRestartTimeUtc: T1 });
  });

  it('keeps the container image ID for settings.imageHash, none while the kubelet has not reported one', () => {
    const id = `sha256:${'c'.repeat(64)}`;
    expect(podRuntimeInfo(pod('Running', { imageID: id, state: { running: { startedAt: new Date(T0) } } }), 'mod').imageId).toBe(id);
    expect(podRuntimeInfo(pod('Running', { state: { running: { startedAt: new Date(T0) } } }), 'mod')).not.toHaveProperty('imageId');
  });

  it('reports unknown times and image when the pod has no status', () => {
    expect(podRuntimeInfo(pod(undefined), 'mod')).toMatchObject({ lastStartTimeUtc: '0001-01-01T00:00:00Z', image: 'unknown:unknown', hasExited: false });
  });
});

describe('moduleRuntimeInfo', () => {
  it('prefers the newest pod that is not being deleted', () => {
    const old = pod('Running', { image: 'example/m:1.0', state: { running: {} } }, { metadata: { name: 'old', creationTimestamp: new Date(T0) } });
    const fresh = pod('Pending', { image: 'example/m:2.0', state: { waiting: { reason: 'ContainerCreating' } } }, { metadata: { name: 'new', creationTimestamp: new Date(T1) } });
    const dying = pod('Running', { image: 'example/m:3.0', state: { running: {} } }, { metadata: { name: 'dying', creationTimestamp: new Date('2026-01-02T00:00:00Z'), deletionTimestamp: new Date(T1) } });
    expect(moduleRuntimeInfo([old, dying, fresh], 'mod')).toMatchObject({ image: 'example/m:2.0', runtimeStatus: 'unknown' });
  });

  it('reports the replacement of an exited pod that is still being created as backoff (a restart is under way)', () => {
    const failed = pod('Failed', { state: { terminated: { exitCode: 4, finishedAt: new Date(T0) } } }, { metadata: { name: 'f', creationTimestamp: new Date(T0) } });
    const fresh = pod('Pending', { state: { waiting: { reason: 'ContainerCreating' } } }, { metadata: { name: 'n', creationTimestamp: new Date(T1) } });
    expect(moduleRuntimeInfo([failed, fresh], 'mod')).toMatchObject({ runtimeStatus: 'backoff', statusDescription: /replacing an exited pod/, restartCount: 1, exitCode: 4 });
  });

  it('counts replaced failed pods as restarts', () => {
    const failed = pod('Failed', { state: { terminated: { exitCode: 4, finishedAt: new Date(T0) } } }, { metadata: { name: 'f', creationTimestamp: new Date(T0) } });
    const fresh = pod('Running', { state: { running: { startedAt: new Date(T1) } } }, { metadata: { name: 'n', creationTimestamp: new Date(T1) } });
    expect(moduleRuntimeInfo([failed, fresh], 'mod')).toMatchObject({ runtimeStatus: 'running', restartCount: 1, exitCode: 0, lastExitTimeUtc: T0, hasExited: true });
  });

  it('reports a module whose only pod is terminating as stopped (stopping), not running', () => {
    const dying = pod('Running', { state: { running: { startedAt: new Date(T0) } } }, { metadata: { name: 'd', creationTimestamp: new Date(T0), deletionTimestamp: new Date(T1) } });
    expect(moduleRuntimeInfo([dying], 'mod')).toMatchObject({ runtimeStatus: 'stopped', statusDescription: /stopping: pod d is terminating/, ready: false });
  });

  it('is undefined without pods', () => {
    expect(moduleRuntimeInfo([], 'mod')).toBeUndefined();
  });
});
