import { describe, expect, it } from 'vitest';
import { formatReport } from '../../../runtime/manifest/format-report.js';

describe('formatReport', () => {
  it('prints a valid file on one line', () => {
    expect(formatReport({ file: 'a.json', valid: true, status: 200, errors: [], warnings: [] })).toBe('a.json: valid\n');
  });

  it('lists every problem with its path, then warnings', () => {
    const text = formatReport({
      file: 'b.json',
      valid: false,
      status: 412,
      errors: [
        { path: '/modulesContent/$edgeAgent/properties.desired/schemaVersion', message: 'schemaVersion "9" is not a version number' },
        { path: '', message: 'x' },
      ],
      warnings: ['w1'],
    });
    expect(text).toBe(
      [
        'b.json: invalid (status 412, 2 problems)',
        '  error   /modulesContent/$edgeAgent/properties.desired/schemaVersion: schemaVersion "9" is not a version number',
        '  error   (document): x',
        '  warning w1',
        '',
      ].join('\n'),
    );
  });
});
