import type { Clock } from '../../clock.js';
import { describeError, EdgemuError } from '../../errors.js';

/** The blob service REST version edgemu speaks (learn.microsoft.com/rest/api/storageservices/versioning-for-the-azure-storage-services). */
export const BLOB_API_VERSION = '2021-12-02';

/** Properties of the uploaded blob (edgeAgent sets both: Azure/iotedge `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.IoTHub/Blob/AzureBlobRequestsUploader.cs`). */
export interface BlobProperties {
  contentType?: string;
  contentEncoding?: string;
}

/** Where uploads go: a blob named `blobName` in the container a SAS URL grants. */
export interface BlobUploadPort {
  /** Uploads `body` as a block blob; resolves with the blob's URL without its SAS query. Throws BlobUploadError. */
  upload(containerSasUrl: string, blobName: string, body: Uint8Array, properties: BlobProperties, signal?: AbortSignal): Promise<{ url: string }>;
}

export type BlobUploadErrorCode = 'AGENT_BLOB_SAS_INVALID' | 'AGENT_BLOB_SAS_EXPIRED' | 'AGENT_BLOB_REFUSED' | 'AGENT_BLOB_UNREACHABLE';

/** An upload that failed; the message says why and what to do. */
export class BlobUploadError extends EdgemuError {
  constructor(code: BlobUploadErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details });
  }
}

/**
 * Checks a container SAS URL before anything is sent (learn.microsoft.com/rest/api/storageservices/create-service-sas):
 * an absolute http(s) URL with a signature (`sig`), not expired (`se`), and — when it names its
 * permissions (`sp`) — allowed to write (`w`) or create (`c`) blobs.
 */
export function checkContainerSasUrl(sasUrl: string, nowMs: number): URL {
  let url: URL;
  try {
    url = new URL(sasUrl);
  } catch {
    throw new BlobUploadError('AGENT_BLOB_SAS_INVALID', 'the SAS URL is not a URL; give the container\'s SAS URL (https://<account>.blob.core.windows.net/<container>?sv=...&sig=...)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new BlobUploadError('AGENT_BLOB_SAS_INVALID', `the SAS URL has scheme ${url.protocol}; a blob container SAS URL is https:`);
  }
  if (!url.searchParams.get('sig')) {
    throw new BlobUploadError('AGENT_BLOB_SAS_INVALID', 'the SAS URL has no signature (sig); generate a SAS for the container with write permission and pass the whole URL');
  }
  const expiry = url.searchParams.get('se');
  if (expiry && Number.isFinite(Date.parse(expiry)) && Date.parse(expiry) <= nowMs) {
    throw new BlobUploadError('AGENT_BLOB_SAS_EXPIRED', `the SAS URL expired at ${expiry}; generate a new one`, { expiry });
  }
  const permissions = url.searchParams.get('sp');
  if (permissions && !/[wc]/.test(permissions)) {
    throw new BlobUploadError('AGENT_BLOB_SAS_INVALID', `the SAS URL grants "${permissions}" but uploading needs write (w) or create (c) permission; generate one with sp=rcw`, { permissions });
  }
  return url;
}

/** The blob's URL inside the container of `container` (path segments encoded), keeping the SAS query. */
export function blobUrl(container: URL, blobName: string, extraQuery: Record<string, string> = {}): URL {
  const url = new URL(container.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${blobName.split('/').map(encodeURIComponent).join('/')}`;
  for (const [k, v] of Object.entries(extraQuery)) url.searchParams.set(k, v);
  return url;
}

/** The blob service's answer to a refused request, as a message naming the fix. Pure. */
export function describeBlobRefusal(status: number, errorCode: string | undefined, serviceMessage: string | undefined, container: URL): string {
  const what = `${status}${errorCode ? ` ${errorCode}` : ''}${serviceMessage ? `: ${serviceMessage}` : ''}`;
  const containerName = container.pathname.split('/').filter(Boolean).pop() ?? '';
  // Azure answers a bad or expired signature AuthenticationFailed; Azurite answers AuthorizationFailure.
  if (status === 403 && (errorCode === 'AuthenticationFailed' || errorCode === 'AuthorizationFailure' || errorCode === undefined)) {
    return `the blob service refused the SAS URL (${what}); its signature does not match or it has expired: generate a new SAS URL for the container`;
  }
  if (status === 403) return `the SAS URL does not allow this upload (${what}); generate a SAS for the container with write (w) permission`;
  if (status === 404) return `container "${containerName}" was not found at ${container.host} (${what}); create it first or use the SAS URL of an existing container`;
  return `the blob service refused the upload (${what})`;
}

export interface HttpBlobUploaderOptions {
  clock: Clock;
  /** The HTTP client (default: Node's fetch). */
  fetch?: typeof fetch;
  /** Bodies up to this size go in one Put Blob; larger ones as Put Block + Put Block List (default 8 MiB). */
  maxSingleUploadBytes?: number;
  /** Block size for large bodies (default 4 MiB). */
  blockBytes?: number;
  /** Tries after a network failure or a 5xx/408/429 answer (default 2, as edgeAgent's uploader), 1 s then 2 s apart. */
  retries?: number;
  /** Per request (default 60 s). */
  requestTimeoutMs?: number;
}

/**
 * Uploads block blobs with a container SAS URL over the Blob service REST API: one Put Blob
 * (learn.microsoft.com/rest/api/storageservices/put-blob), or for large bodies Put Block
 * (…/put-block) per block and Put Block List (…/put-block-list). Refusals (bad or expired SAS,
 * missing container, no write permission) fail at once with the reason; network failures and
 * 5xx answers are retried.
 */
export class HttpBlobUploader implements BlobUploadPort {
  private readonly clock: Clock;
  private readonly fetch: typeof fetch;
  private readonly maxSingle: number;
  private readonly blockBytes: number;
  private readonly retries: number;
  private readonly requestTimeoutMs: number;

  constructor(options: HttpBlobUploaderOptions) {
    this.clock = options.clock;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.maxSingle = options.maxSingleUploadBytes ?? 8 * 1024 * 1024;
    this.blockBytes = options.blockBytes ?? 4 * 1024 * 1024;
    this.retries = options.retries ?? 2;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  }

  async upload(containerSasUrl: string, blobName: string, body: Uint8Array, properties: BlobProperties, signal?: AbortSignal): Promise<{ url: string }> {
    const container = checkContainerSasUrl(containerSasUrl, this.clock.now());
    const target = blobUrl(container, blobName);
    const blobHeaders: Record<string, string> = {};
    if (properties.contentType) blobHeaders['x-ms-blob-content-type'] = properties.contentType;
    if (properties.contentEncoding) blobHeaders['x-ms-blob-content-encoding'] = properties.contentEncoding;
    if (body.length <= this.maxSingle) {
      await this.send(container, target, { 'x-ms-blob-type': 'BlockBlob', ...blobHeaders }, body, signal);
    } else {
      const ids: string[] = [];
      for (let offset = 0, n = 0; offset < body.length; offset += this.blockBytes, n++) {
        // Block ids: base64 of equal-length strings (learn.microsoft.com/rest/api/storageservices/put-block).
        const id = Buffer.from(`block-${String(n).padStart(6, '0')}`).toString('base64');
        ids.push(id);
        await this.send(container, blobUrl(container, blobName, { comp: 'block', blockid: id }), {}, body.subarray(offset, offset + this.blockBytes), signal);
      }
      const list = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join('')}</BlockList>`;
      await this.send(container, blobUrl(container, blobName, { comp: 'blocklist' }), { 'content-type': 'application/xml', ...blobHeaders }, Buffer.from(list), signal);
    }
    const plain = new URL(target.href);
    plain.search = '';
    return { url: plain.href };
  }

  private async send(container: URL, url: URL, headers: Record<string, string>, body: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let failure: string;
      try {
        const timeout = AbortSignal.timeout(this.requestTimeoutMs);
        const response = await this.fetch(url, {
          method: 'PUT',
          headers: { 'x-ms-version': BLOB_API_VERSION, 'x-ms-date': new Date(this.clock.now()).toUTCString(), ...headers },
          body,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        if (response.status >= 200 && response.status < 300) {
          await response.body?.cancel();
          return;
        }
        const text = await response.text().catch(() => '');
        const code = response.headers.get('x-ms-error-code') ?? /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
        const serviceMessage = /<Message>([^<]*)<\/Message>/.exec(text)?.[1]?.split('\n')[0]?.trim();
        const transient = response.status >= 500 || response.status === 408 || response.status === 429;
        if (!transient) throw new BlobUploadError('AGENT_BLOB_REFUSED', describeBlobRefusal(response.status, code, serviceMessage, container), { status: response.status, errorCode: code });
        failure = `${response.status}${code ? ` ${code}` : ''}`;
      } catch (error) {
        if (error instanceof BlobUploadError) throw error;
        if (signal?.aborted) throw signal.reason;
        failure = describeError((error as { cause?: unknown }).cause ?? error);
      }
      if (attempt >= this.retries) {
        throw new BlobUploadError('AGENT_BLOB_UNREACHABLE', `could not upload to the blob service at ${container.host} after ${attempt + 1} tries (${failure}); check that the storage account is reachable`, { host: container.host });
      }
      await this.clock.sleep(1000 * 2 ** attempt, signal);
    }
  }
}
