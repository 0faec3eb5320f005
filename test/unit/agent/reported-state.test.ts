import { describe, expect, it } from 'vitest';
import { applyReportedPatch, buildReportedState, diffReported, type JsonObject } from '../../../runtime/agent/reported-state.js';
import type { EdgeAgentConfig } from '../../../runtime/manifest/model.js';
import { current, runtime, spec } from './helpers.js';

const config: EdgeAgentConfig = {
  schemaVersion: '1.1',
  runtime: { type: 'docker', minDockerVersion: 'v1.25', loggingOptions: '', registryCredentials: [{ name: 'r', address: 'reg.example', username: 'u', password: 'secret' }] },
  systemModules: {
    edgeAgent: spec('edgeAgent', { image: 'mcr.microsoft.com/azureiotedge-agent:1.5', startupOrder: 0 }),
    edgeHub: spec('edgeHub', { image: 'mcr.microsoft.com/azureiotedge-hub:1.5', startupOrder: 0 }),
  },
  modules: [spec('sensor')],
};
const base = {
  config,
  lastDesiredVersion: 7,
  status: { code: 200 as const, description: '' },
  agentStartTimeUtc: '2026-01-01T00:00:00.000Z',
  version: { version: '0.1.0', build: 'edgemu', commit: '' },
  platform: { os: 'linux', architecture: 'x64', version: 'v20' },
};

describe('buildReportedState', () => {
  it('builds the IoT Edge $edgeAgent reported shape', () => {
    const state = buildReportedState({ ...base, current: current({ spec: spec('sensor', { env: { A: '1' } }), replicas: 1, runtime: runtime({ image: 'example/sensor:1.0' }) }) });
    expect(state).toMatchObject({
      schemaVersion: '1.0',
      lastDesiredVersion: 7,
      lastDesiredStatus: { code: 200, description: '' },
      runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25', registryCredentials: { r: { address: 'reg.example', username: 'u' } } } },
      systemModules: { edgeAgent: { runtimeStatus: 'running', type: 'docker' }, edgeHub: { runtimeStatus: 'running', status: 'running' } },
      modules: {
        sensor: {
          version: '1.0',
          type: 'docker',
          status: 'running',
          restartPolicy: 'always',
          settings: { image: 'example/sensor:1.0', createOptions: '{}' },
          env: { A: { value: '1' } },
          runtimeStatus: 'running',
          exitCode: 0,
          restartCount: 0,
        },
      },
    });
    expect(JSON.stringify(state)).not.toContain('secret');
  });

  it('splits long createOptions into 512-character chunks', () => {
    const big = { Labels: { x: 'y'.repeat(1200) } };
    const state = buildReportedState({ ...base, current: current(spec('sensor', { createOptions: big })) });
    const settings = (state.modules as JsonObject).sensor as JsonObject;
    const s = settings.settings as JsonObject;
    expect(Object.keys(s)).toEqual(['image', 'imageHash', 'createOptions', 'createOptions01', 'createOptions02']);
    expect((s.createOptions as string) + (s.createOptions01 as string) + (s.createOptions02 as string)).toBe(JSON.stringify(big));
  });

  it('reports the image hash from the pod image ID and times as edgeAgent writes them', () => {
    const hash = `sha256:${'ab'.repeat(32)}`;
    const state = buildReportedState({
      ...base,
      current: current({
        spec: spec('sensor'),
        replicas: 1,
        runtime: runtime({ image: 'example/sensor:1.0', imageId: `docker.io/example/sensor@${hash}`, lastStartTimeUtc: '2026-12-01T23:27:28.000Z', lastExitTimeUtc: '2026-12-01T23:20:01.250Z', restartCount: 0 }),
      }),
    });
    const sensor = (state.modules as JsonObject).sensor as JsonObject;
    expect(sensor.settings).toMatchObject({ image: 'example/sensor:1.0', imageHash: hash });
    expect(sensor).toMatchObject({ lastStartTimeUtc: '2026-12-01T23:27:28', lastExitTimeUtc: '2026-12-01T23:20:01.25', lastRestartTimeUtc: '2026-12-01T23:20:01.25' });
    const agent = (state.systemModules as JsonObject).edgeAgent as JsonObject;
    expect(agent).toMatchObject({ lastStartTimeUtc: '2026-01-01T00:00:00', lastExitTimeUtc: '0001-01-01T00:00:00', settings: { imageHash: '' } });
  });

  it('reports an empty image hash when the pod has no image ID yet', () => {
    const state = buildReportedState({ ...base, current: current({ spec: spec('sensor'), replicas: 1, runtime: runtime({ image: 'example/sensor:1.0' }) }) });
    expect(((state.modules as JsonObject).sensor as JsonObject).settings).toMatchObject({ imageHash: '' });
  });

  it('omits modules when the current state is unknown', () => {
    expect(buildReportedState({ ...base, current: undefined })).not.toHaveProperty('modules');
  });
});

describe('diffReported', () => {
  it('sends nothing when nothing changed', () => {
    const s = buildReportedState({ ...base, current: current(spec('sensor')) });
    expect(diffReported(s, structuredClone(s))).toBeUndefined();
  });

  it('sends only changed leaves and nulls removed keys', () => {
    const prev: JsonObject = { a: 1, nested: { x: 1, y: 2 }, gone: { z: 1 } };
    const next: JsonObject = { a: 1, nested: { x: 1, y: 3 }, added: [1] };
    expect(diffReported(prev, next)).toEqual({ nested: { y: 3 }, gone: null, added: [1] });
  });

  it('sends everything the first time', () => {
    expect(diffReported(undefined, { a: 1 })).toEqual({ a: 1 });
  });

  it('round-trips: applying the patch to the previous state yields the next state', () => {
    const prev = buildReportedState({ ...base, current: current(spec('sensor'), spec('old')) });
    const next = buildReportedState({ ...base, lastDesiredVersion: 8, current: current({ spec: spec('sensor'), replicas: 1, runtime: runtime({ runtimeStatus: 'backoff', restartCount: 2 }) }) });
    expect(applyReportedPatch(prev, diffReported(prev, next)!)).toEqual(next);
  });
});
