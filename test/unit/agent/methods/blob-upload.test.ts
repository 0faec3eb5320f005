import { describe, expect, it } from 'vitest';
import { BlobUploadError, blobUrl, checkContainerSasUrl, describeBlobRefusal } from '../../../../runtime/agent/methods/blob-upload.js';

const NOW = Date.parse('2026-12-02T01:00:00Z');
const sas = (query: string) => `https://acct.blob.core.windows.net/logs?${query}`;
const code = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(BlobUploadError);
    return [(error as BlobUploadError).code, (error as Error).message];
  }
  throw new Error('expected a BlobUploadError');
};

describe('container SAS URLs', () => {
  it('accepts a signed, unexpired URL with write permission', () => {
    expect(checkContainerSasUrl(sas('sv=2021-12-02&se=2026-12-03T00:00:00Z&sp=rcw&sig=abc'), NOW).host).toBe('acct.blob.core.windows.net');
    expect(checkContainerSasUrl('http://127.0.0.1:10000/devstoreaccount1/logs?sig=abc', NOW).pathname).toBe('/devstoreaccount1/logs');
  });

  it.each([
    ['not a url', 'AGENT_BLOB_SAS_INVALID', 'not a URL'],
    ['file:///etc/passwd?sig=x', 'AGENT_BLOB_SAS_INVALID', 'scheme file:'],
    [sas('sv=2021-12-02&sp=w'), 'AGENT_BLOB_SAS_INVALID', 'no signature (sig)'],
    [sas('se=2026-12-01T00:00:00Z&sp=w&sig=abc'), 'AGENT_BLOB_SAS_EXPIRED', 'expired at 2026-12-01T00:00:00Z; generate a new one'],
    [sas('sp=rl&sig=abc'), 'AGENT_BLOB_SAS_INVALID', 'grants "rl" but uploading needs write (w) or create (c)'],
  ])('refuses %s with %s', (url, expectedCode, message) => {
    const [c, m] = code(() => checkContainerSasUrl(url, NOW));
    expect(c).toBe(expectedCode);
    expect(m).toContain(message);
  });

  it('builds the blob URL inside the container, encoding each path segment and keeping the SAS', () => {
    const url = blobUrl(new URL(sas('sv=1&sig=a%2Bb')), 'hub/edge 1/sensor-2026.log', { comp: 'block', blockid: 'YQ==' });
    expect(url.pathname).toBe('/logs/hub/edge%201/sensor-2026.log');
    expect(url.searchParams.get('sig')).toBe('a+b');
    expect(url.searchParams.get('blockid')).toBe('YQ==');
  });

  it('explains refusals with the fix', () => {
    const container = new URL(sas('sig=x'));
    expect(describeBlobRefusal(403, 'AuthenticationFailed', 'Server failed to authenticate the request.', container)).toContain('signature does not match or it has expired');
    expect(describeBlobRefusal(403, 'AuthorizationPermissionMismatch', undefined, container)).toContain('write (w) permission');
    expect(describeBlobRefusal(404, 'ContainerNotFound', 'The specified container does not exist.', container)).toContain('container "logs" was not found at acct.blob.core.windows.net');
    expect(describeBlobRefusal(400, 'InvalidHeaderValue', undefined, container)).toBe('the blob service refused the upload (400 InvalidHeaderValue)');
  });
});
