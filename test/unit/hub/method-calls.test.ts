import { describe, expect, it } from 'vitest';
import { MethodCalls, type MethodTarget } from '../../../runtime/hub/method-calls.js';
import { hubTopics } from '../../../runtime/hub/topics.js';

const target = (sent: Array<{ topic: string; body: string }>, listens = true, connection: object = {}): MethodTarget => ({
  connection,
  listens,
  send: (methodName, rid, body) => void sent.push({ topic: hubTopics.methodRequest(methodName, rid), body }),
});

describe('MethodCalls', () => {
  it('sends the request to the target and resolves with the answer of that same connection only', async () => {
    const calls = new MethodCalls();
    const sent: Array<{ topic: string; body: string }> = [];
    const asked = {};
    const result = calls.invoke({ deviceId: 'd', moduleId: 'm', methodName: 'ping', payload: { a: 1 } }, (id) => (id === 'd/m' ? target(sent, true, asked) : undefined));
    expect(sent).toEqual([{ topic: '$iothub/methods/POST/ping/?$rid=1', body: '{"a":1}' }]);
    calls.answer({}, '1', 500, Buffer.from('{"wrong":true}')); // another connection (even of the same identity): ignored
    calls.answer(asked, '1', 200, Buffer.from('{"pong":true}'));
    expect(await result).toEqual({ status: 200, payload: { pong: true } });
  });

  const refused: Array<[string, Parameters<MethodCalls['invoke']>[0], MethodTarget | undefined, number]> = [
    ['a target that is not connected', { deviceId: 'd', methodName: 'x' }, undefined, 404],
    ['a target that does not listen for methods', { deviceId: 'd', methodName: 'x' }, target([], false), 404],
    ['a method name with a slash', { deviceId: 'd', methodName: 'a/b' }, target([]), 400],
    ['an empty method name', { deviceId: 'd', methodName: '' }, target([]), 400],
    ['a payload over 128 KB', { deviceId: 'd', methodName: 'x', payload: 'y'.repeat(128 * 1024) }, target([]), 400],
  ];
  it.each(refused)('answers at once for %s', async (_name, call, t, status) => {
    expect((await new MethodCalls().invoke(call, () => t)).status).toBe(status);
  });

  it('answers 504 when the device does not answer in time, and when the hub shuts down', async () => {
    const calls = new MethodCalls();
    expect((await calls.invoke({ deviceId: 'd', methodName: 'x', timeoutMs: 5 }, () => target([]))).status).toBe(504);
    const pending = calls.invoke({ deviceId: 'd', methodName: 'x' }, () => target([]));
    calls.cancelAll('stopping');
    expect(await pending).toEqual({ status: 504, payload: { errorCode: 504101, message: 'stopping' } });
  });

  it('passes a non-JSON answer through as text and an empty one as null', async () => {
    const calls = new MethodCalls();
    const connection = {};
    const a = calls.invoke({ deviceId: 'd', methodName: 'x' }, () => target([], true, connection));
    calls.answer(connection, '1', 200, Buffer.from('plain'));
    expect((await a).payload).toBe('plain');
    const b = calls.invoke({ deviceId: 'd', methodName: 'x' }, () => target([], true, connection));
    calls.answer(connection, '2', 204, Buffer.alloc(0));
    expect(await b).toEqual({ status: 204, payload: null });
  });
});
