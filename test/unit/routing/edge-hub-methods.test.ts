import { describe, expect, it } from 'vitest';
import { answerEdgeHubMethod, MAX_REFRESH_DEVICE_IDS } from '../../../runtime/routing/edge-hub-methods.js';

describe("edgeHub's direct methods", () => {
  it('answers RefreshDeviceScopeIdentityCache with 200 and no payload, whatever the case of the name', () => {
    const refreshed: string[][] = [];
    const deps = { refreshIdentities: (ids: readonly string[]) => void refreshed.push([...ids]) };
    expect(answerEdgeHubMethod('RefreshDeviceScopeIdentityCache', { deviceIds: ['leaf-1', 'leaf-2'] }, deps)).toEqual({ status: 200, payload: null });
    expect(answerEdgeHubMethod('refreshdevicescopeidentitycache', { deviceIds: [] }, deps)).toEqual({ status: 200, payload: null });
    expect(refreshed).toEqual([['leaf-1', 'leaf-2'], []]);
  });

  it('answers any other method 404 "Method <name> is not supported"', () => {
    expect(answerEdgeHubMethod('ping', null)).toEqual({ status: 404, payload: { message: 'Method ping is not supported' } });
    expect(answerEdgeHubMethod('RestartModule', { id: 'x' })).toEqual({ status: 404, payload: { message: 'Method RestartModule is not supported' } });
  });

  it.each([
    [null, 'the payload must be a JSON object'],
    ['deviceIds', 'the payload must be a JSON object'],
    [[1], 'the payload must be a JSON object'],
    [{}, 'field "deviceIds" is missing'],
    [{ deviceIds: 'leaf-1' }, 'field "deviceIds" must be an array'],
    [{ deviceIds: ['ok', 7] }, 'field "deviceIds[1]" must be a non-empty string'],
    [{ deviceIds: ['  '] }, 'field "deviceIds[0]" must be a non-empty string'],
    [{ deviceIds: Array.from({ length: MAX_REFRESH_DEVICE_IDS + 1 }, (_, i) => `d${i}`) }, `at most ${MAX_REFRESH_DEVICE_IDS}`],
  ])('refuses the refresh payload %j with 400 naming the problem', (payload, problem) => {
    const answer = answerEdgeHubMethod('RefreshDeviceScopeIdentityCache', payload);
    expect(answer.status).toBe(400);
    expect((answer.payload as { message: string }).message).toContain(problem);
  });

  it('answers 500 with the reason when the refresh itself fails', () => {
    const answer = answerEdgeHubMethod('RefreshDeviceScopeIdentityCache', { deviceIds: ['a'] }, {
      refreshIdentities: () => {
        throw new Error('registry unavailable');
      },
    });
    expect(answer).toEqual({ status: 500, payload: { message: 'registry unavailable' } });
  });
});
