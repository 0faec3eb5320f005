import { describe, expect, it } from 'vitest';
import { renderStatusTable } from '../../../runtime/agent/status-table.js';

describe('renderStatusTable', () => {
  it('prints one aligned row per module, system modules first', () => {
    const text = renderStatusTable(
      'edge-1',
      {
        lastDesiredVersion: 3,
        lastDesiredStatus: { code: 200, description: '' },
        systemModules: { edgeAgent: { runtimeStatus: 'running', lastStartTimeUtc: '2026-01-01T00:00:00.000Z' }, edgeHub: { status: 'running', runtimeStatus: 'running', restartCount: 0, exitCode: 0 } },
        modules: {
          sensor: { status: 'running', runtimeStatus: 'backoff', restartCount: 4, exitCode: 3, lastExitTimeUtc: '2026-01-01T00:01:00.000Z' },
          filter: { status: 'stopped', runtimeStatus: 'stopped', restartCount: 0, exitCode: 0, lastExitTimeUtc: '0001-01-01T00:00:00Z' },
        },
      },
      3,
    );
    expect(text.split('\n')).toEqual([
      'device edge-1: deployment 3 of 3, status 200',
      'MODULE     DESIRED  RUNTIME  RESTARTS  EXIT  SINCE',
      'edgeAgent  running  running  0         -     2026-01-01T00:00:00.000Z',
      'edgeHub    running  running  0         0     -',
      'filter     stopped  stopped  0         0     -',
      'sensor     running  backoff  4         3     2026-01-01T00:01:00.000Z',
      '',
    ]);
  });

  it('says when the agent lags behind the desired deployment or failed it', () => {
    const text = renderStatusTable('d', { lastDesiredVersion: 2, lastDesiredStatus: { code: 400, description: 'Agent configuration format is invalid.' } }, 3);
    expect(text).toContain('deployment 2 of 3, status 400 (Agent configuration format is invalid.) — the agent has not processed the latest deployment yet');
  });

  it('says when nothing was reported yet', () => {
    expect(renderStatusTable('d', {})).toMatch(/no status reported yet/);
  });
});

describe('describeReported', () => {
  it('sums up a device in one line', async () => {
    const { describeReported } = await import('../../../runtime/agent/describe-reported.js');
    expect(
      describeReported('edge-1', {
        lastDesiredVersion: 2,
        lastDesiredStatus: { code: 200, description: '' },
        modules: { sensor: { runtimeStatus: 'backoff', restartCount: 3, exitCode: 1 }, filter: { runtimeStatus: 'running', restartCount: 0 } },
      }),
    ).toBe('edge-1: deployment 2 status 200 — filter running, sensor backoff (3 restarts, exit 1)');
    expect(describeReported('d', { lastDesiredVersion: 1, lastDesiredStatus: { code: 417, description: 'Agent configuration is empty.' } })).toBe(
      'd: deployment 1 status 417 (Agent configuration is empty.) — no modules',
    );
    expect(describeReported('d', {})).toBeUndefined();
  });
});

describe('hostile reported properties (anyone with the $edgeAgent key can write them)', () => {
  it.each([
    ['a null module entry', { modules: { a: null, b: { runtimeStatus: 'running' } } }],
    ['modules as a string', { modules: 'nope' }],
    ['modules as an array', { modules: [{ runtimeStatus: 'running' }] }],
    ['a module entry that is a number', { modules: { a: 5, b: { runtimeStatus: 'running' } } }],
    ['systemModules entries that are not objects', { systemModules: { edgeAgent: 'x', edgeHub: null } }],
  ])('renders the table and the summary line without throwing for %s', async (_what, extra) => {
    const { describeReported } = await import('../../../runtime/agent/describe-reported.js');
    const reported = { lastDesiredVersion: 1, lastDesiredStatus: { code: 200, description: '' }, ...extra } as Record<string, unknown>;
    const table = renderStatusTable('d', reported);
    expect(table).toMatch(/^device d: deployment 1, status 200/);
    expect(table).not.toMatch(/^(a|0|edgeAgent|edgeHub) /m);
    const line = describeReported('d', reported)!;
    expect(line).toMatch(/^d: deployment 1 status 200/);
    expect(line).not.toMatch(/\ba (unknown|running)/);
  });
});
