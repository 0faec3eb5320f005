import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { agentLogger } from '../../../runtime/agent/edge-agent.js';

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

const occurrences = (line: string, key: string) => line.split(`"${key}":`).length - 1;

describe('agentLogger', () => {
  it.each([
    ['a logger that already carries the device id', (l: pino.Logger) => l.child({ deviceId: 'edge-1' })],
    ['a plain logger', (l: pino.Logger) => l],
  ])('writes deviceId and component exactly once per line for %s', (_what, prepare) => {
    const { logger, lines } = capture();
    agentLogger(prepare(logger), 'edge-1').info('hello');
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(occurrences(line, 'deviceId')).toBe(1);
    expect(occurrences(line, 'component')).toBe(1);
    expect(JSON.parse(line)).toMatchObject({ deviceId: 'edge-1', component: 'agent', msg: 'hello' });
  });

  it('keeps the agent device id when the parent logger names another device', () => {
    const { logger, lines } = capture();
    agentLogger(logger.child({ deviceId: 'other' }), 'edge-1').info('hello');
    expect(lines[0]).toContain('"deviceId":"edge-1"');
  });
});
