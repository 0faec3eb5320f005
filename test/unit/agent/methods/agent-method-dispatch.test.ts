import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { AgentMethodContext, ModuleLogQuery } from '../../../../runtime/agent/methods/agent-method.js';
import { builtinAgentMethods } from '../../../../runtime/agent/methods/builtin-agent-methods.js';
import { createAgentMethodDispatch } from '../../../../runtime/agent/methods/method-dispatch.js';
import { MethodFailedError } from '../../../../runtime/agent/methods/method-request.js';
import { EdgemuError } from '../../../../runtime/errors.js';
import { silentLogger } from '../../../../runtime/log/create-logger.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

/** A context over fixed logs; `restarted` and `queries` record what the handlers asked for. */
function context(logs: Record<string, string | Error>, over: Partial<AgentMethodContext> = {}) {
  const restarted: string[] = [];
  const queries: Array<[string, ModuleLogQuery]> = [];
  const ctx: AgentMethodContext = {
    deviceId: 'edge-1',
    iotHubName: 'localhost',
    clock: { now: () => NOW, sleep: async () => undefined },
    logger: silentLogger(),
    moduleNames: async () => Object.keys(logs),
    readModuleLog: async (moduleId, query) => {
      queries.push([moduleId, query]);
      const log = logs[moduleId]!;
      if (log instanceof Error) throw log;
      return { moduleId, text: log };
    },
    restartModule: async (id) => void restarted.push(id),
    ...over,
  };
  return { ctx, restarted, queries };
}

const lines = (n: number, level = 6) => Array.from({ length: n }, (_, i) => `2026-06-01T11:59:${String(i % 60).padStart(2, '0')}Z <${level}> line ${i}`).join('\n') + '\n';
const dispatch = createAgentMethodDispatch([builtinAgentMethods]);
const logsRequest = (over: Record<string, unknown> = {}, item: Record<string, unknown> = { id: 'sensor' }) => ({ schemaVersion: '1.0', items: [item], ...over });

describe('the edgeAgent method dispatcher', () => {
  it('answers ping 200 without a payload, whatever the case of the name', async () => {
    const { ctx } = context({});
    for (const name of ['ping', 'PING', 'Ping']) expect(await dispatch.invoke(name, null, ctx)).toEqual({ status: 200 });
  });

  it('answers an unknown name 400 with edgeAgent wording, listing the registered tables', async () => {
    const extra = createAgentMethodDispatch([builtinAgentMethods, { gettaskstatus: async () => ({ status: 200, payload: { status: 'Unknown' } }) }]);
    const { ctx } = context({});
    expect(await extra.invoke('reboot', null, ctx)).toEqual({ status: 400, payload: { message: "Command 'reboot' not found. The supported commands are - ping,RestartModule,GetModuleLogs,GetTaskStatus" } });
    expect(await extra.invoke('GETTASKSTATUS', {}, ctx)).toEqual({ status: 200, payload: { status: 'Unknown' } });
  });

  it('refuses a name registered by two tables (a wiring mistake)', () => {
    expect(() => createAgentMethodDispatch([builtinAgentMethods, { PING: builtinAgentMethods.ping! }])).toThrow('registered twice');
  });

  it('turns a thrown bug into 500 with its message, and the dispatcher lives on', async () => {
    const broken = createAgentMethodDispatch([{ boom: async () => Promise.reject(new Error('kaboom')) }]);
    const { ctx } = context({});
    expect(await broken.invoke('boom', null, ctx)).toEqual({ status: 500, payload: { message: 'kaboom' } });
  });
});

describe('RestartModule', () => {
  it.each([
    ['no payload', null, 400, 'Request payload not found'],
    ['a string payload', 'sensor', 400, 'must be a JSON object'],
    ['no schemaVersion', { id: 'sensor' }, 400, 'schemaVersion: required'],
    ['schemaVersion 2.0', { schemaVersion: '2.0', id: 'sensor' }, 400, 'schemaVersion: "2.0" is not supported'],
    ['no id', { schemaVersion: '1.0' }, 400, 'id: required'],
    ['a numeric id', { schemaVersion: '1.0', id: 7 }, 400, 'id: required, a non-empty string (got number)'],
    ['edgeHub', { schemaVersion: '1.0', id: 'edgeHub' }, 400, 'edgeHub cannot be restarted'],
    ['$edgeAgent', { schemaVersion: '1.0', id: '$edgeAgent' }, 400, '$edgeAgent cannot be restarted'],
    ['an unknown module', { schemaVersion: '1.0', id: 'nope' }, 500, 'Module nope not found in the current environment'],
  ])('%s → %i', async (_name, payload, status, message) => {
    const { ctx, restarted } = context({ sensor: '' });
    const result = await dispatch.invoke('RestartModule', payload, ctx);
    expect(result.status).toBe(status);
    expect((result.payload as { message: string }).message).toContain(message);
    expect(restarted).toEqual([]);
  });

  it('restarts a deployed module and answers 200 with no payload', async () => {
    const { ctx, restarted } = context({ sensor: '' });
    expect(await dispatch.invoke('restartmodule', { schemaVersion: '1.0', id: 'sensor' }, ctx)).toEqual({ status: 200 });
    expect(restarted).toEqual(['sensor']);
  });

  it('passes the environment failure on as 500 with its message', async () => {
    const { ctx } = context({ sensor: '' }, { restartModule: async () => Promise.reject(new MethodFailedError('Module sensor cannot be restarted since it is not running')) });
    expect(await dispatch.invoke('RestartModule', { schemaVersion: '1.0', id: 'sensor' }, ctx)).toEqual({ status: 500, payload: { message: 'Module sensor cannot be restarted since it is not running' } });
  });
});

describe('GetModuleLogs', () => {
  it('answers text with at most tail lines, asking the cluster for the tail', async () => {
    const { ctx, queries } = context({ sensor: lines(10) });
    const result = await dispatch.invoke('GetModuleLogs', logsRequest({}, { id: 'sensor', filter: { tail: 3 } }), ctx);
    expect(result).toEqual({ status: 200, payload: [{ id: 'sensor', payload: '<6> line 7\n<6> line 8\n<6> line 9\n' }] });
    expect(queries).toEqual([['sensor', { tail: 3 }]]);
  });

  it('answers json gzip as base64 payloadBytes decoding to edgeAgent log messages', async () => {
    const { ctx } = context({ sensor: lines(2, 4) });
    const result = await dispatch.invoke('GetModuleLogs', logsRequest({ encoding: 'gzip', contentType: 'json' }), ctx);
    const [item] = result.payload as Array<{ id: string; payloadBytes: string }>;
    const messages = JSON.parse(gunzipSync(Buffer.from(item!.payloadBytes, 'base64')).toString('utf8')) as unknown[];
    expect(messages).toEqual([
      { iothub: 'localhost', device: 'edge-1', id: 'sensor', moduleId: 'sensor', stream: 'stdout', loglevel: 4, text: 'line 0', timestamp: '2026-06-01T11:59:00.000Z' },
      { iothub: 'localhost', device: 'edge-1', id: 'sensor', moduleId: 'sensor', stream: 'stdout', loglevel: 4, text: 'line 1', timestamp: '2026-06-01T11:59:01.000Z' },
    ]);
  });

  it('answers one item for each module a regex id matches, case-insensitively; the first item wins for a module', async () => {
    const { ctx, queries } = context({ SimulatedTemperatureSensor: lines(1), filter: lines(1), other: lines(1) });
    const result = await dispatch.invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'SENSOR|^filter$', filter: { tail: 1 } }, { id: 'all', filter: { since: '10m' } }] }, ctx);
    expect((result.payload as Array<{ id: string }>).map((i) => i.id)).toEqual(['SimulatedTemperatureSensor', 'filter', 'other']);
    expect(queries.find(([m]) => m === 'other')![1]).toEqual({ since: NOW / 1000 - 600 });
  });

  it('filters by level and regex after reading, then tails, so the cluster is asked for the whole window', async () => {
    const { ctx, queries } = context({ sensor: `${lines(5, 6)}${lines(5, 3)}` });
    const result = await dispatch.invoke('GetModuleLogs', logsRequest({}, { id: 'sensor', filter: { loglevel: 3, regex: 'line [0-3]', tail: 2 } }), ctx);
    expect(result.payload).toEqual([{ id: 'sensor', payload: '<3> line 2\n<3> line 3\n' }]);
    expect(queries[0]![1]).toEqual({});
  });

  it('says why a module has no log in its item, and fails with the reasons when no module has one', async () => {
    const simulated = new EdgemuError('AGENT_NO_LOGS', 'module other runs on the simulated pool (KWOK): it has no container and no logs');
    const { ctx } = context({ sensor: lines(1), other: simulated });
    const result = await dispatch.invoke('GetModuleLogs', logsRequest({}, { id: 'all' }), ctx);
    expect(result).toEqual({ status: 200, payload: [{ id: 'sensor', payload: '<6> line 0\n' }, { id: 'other', error: simulated.message }] });
    const only = await dispatch.invoke('GetModuleLogs', logsRequest({}, { id: 'other' }), ctx);
    expect(only).toEqual({ status: 500, payload: { message: `other: ${simulated.message}` } });
  });

  it('refuses more than 127,000 bytes of answer with 400 as edgeAgent does; gzip fits more', async () => {
    const { ctx } = context({ sensor: lines(12_000) });
    const big = await dispatch.invoke('GetModuleLogs', logsRequest(), ctx);
    expect(big.status).toBe(400);
    expect((big.payload as { message: string }).message).toMatch(/^The payload is too large for a direct method. GetModuleLogs supports up to 127000 bytes of logs. The current request returned \d+ bytes/);
    expect((await dispatch.invoke('GetModuleLogs', logsRequest({ encoding: 'gzip' }), ctx)).status).toBe(200);
  });

  it.each([
    ['no payload', null, undefined],
    ['not JSON object', '{"schemaVersion"', undefined],
    ['no items', { schemaVersion: '1.0' }, 'items'],
    ['empty items', { schemaVersion: '1.0', items: [] }, 'items'],
    ['100 items', { schemaVersion: '1.0', items: Array.from({ length: 100 }, () => ({ id: 'x' })) }, 'items'],
    ['an item without id', { schemaVersion: '1.0', items: [{}] }, 'items[0].id'],
    ['an invalid id regex', { schemaVersion: '1.0', items: [{ id: '(' }] }, 'items[0].id'],
    ['a huge tail', logsRequest({}, { id: 'x', filter: { tail: 1e12 } }), 'items[0].filter.tail'],
    ['a fractional tail', logsRequest({}, { id: 'x', filter: { tail: 1.5 } }), 'items[0].filter.tail'],
    ['a loglevel of 9', logsRequest({}, { id: 'x', filter: { loglevel: 9 } }), 'items[0].filter.loglevel'],
    ['a bad since', logsRequest({}, { id: 'x', filter: { since: 'last tuesday' } }), 'items[0].filter.since'],
    ['until before since', logsRequest({}, { id: 'x', filter: { since: 100, until: 50 } }), 'items[0].filter.until'],
    ['a regex with a backreference', logsRequest({}, { id: 'x', filter: { regex: '(a)\\1' } }), 'items[0].filter.regex'],
    ['an unknown encoding', logsRequest({ encoding: 'brotli' }), 'encoding'],
    ['an unknown contentType', logsRequest({ contentType: 'xml' }), 'contentType'],
    ['a filter that is a string', logsRequest({}, { id: 'x', filter: 'tail 3' }), 'items[0].filter'],
  ])('refuses %s with 400 naming the field', async (_name, payload, field) => {
    const { ctx, queries } = context({ x: lines(1) });
    const result = await dispatch.invoke('GetModuleLogs', payload, ctx);
    expect(result.status).toBe(400);
    if (field) expect((result.payload as { message: string }).message.startsWith(`${field}:`)).toBe(true);
    expect(queries).toEqual([]);
  });
});
