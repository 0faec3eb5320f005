import { describe, expect, it } from 'vitest';
import { logBlobFormat, uploadBlobName } from '../../../../runtime/agent/methods/upload-blob-name.js';

describe('upload blob names', () => {
  it('names and labels blobs as edgeAgent does', () => {
    expect(uploadBlobName('myhub', 'edge-1', 'sensor', 'log.gz', Date.parse('2026-12-02T01:02:03.456Z'))).toBe('myhub/edge-1/sensor-2026-12-02--01-02-03.log.gz');
    expect(logBlobFormat('text', 'none')).toEqual({ extension: 'log', contentType: 'text/plain' });
    expect(logBlobFormat('json', 'gzip')).toEqual({ extension: 'json.gz', contentType: 'application/json', contentEncoding: 'gzip' });
  });
});
