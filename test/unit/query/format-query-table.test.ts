import { describe, expect, it } from 'vitest';
import { formatQueryTable } from '../../../runtime/query/index.js';

describe('formatQueryTable', () => {
  it('shows twins with ids, status, connection and tags, and module ids only when there are modules', () => {
    expect(formatQueryTable('twin', [{ deviceId: 'a', status: 'enabled', connectionState: 'Connected', tags: { env: 'prod' } }])).toBe(
      'DEVICE  STATUS   CONNECTION  TAGS\na       enabled  Connected   {"env":"prod"}\n',
    );
    expect(formatQueryTable('twin', [{ deviceId: 'a', moduleId: '$edgeAgent', status: 'enabled', connectionState: 'Connected', tags: {} }]).split('\n')[0]).toBe(
      'DEVICE  MODULE      STATUS   CONNECTION  TAGS',
    );
  });

  it('shows projections with one column per member, blanks for what a row lacks', () => {
    expect(formatQueryTable('raw', [{ deviceId: 'a', fw: '1.0' }, { deviceId: 'bb' }, { deviceId: 'c', n: { x: 1 } }])).toBe(
      'DEVICEID  FW   N\na         1.0\nbb\nc              {"x":1}\n',
    );
  });

  it('says when nothing matched', () => {
    expect(formatQueryTable('twin', [])).toBe('no results\n');
  });
});
