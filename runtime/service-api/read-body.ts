import type { IncomingMessage } from 'node:http';
import { apiErrors } from './service-api-error.js';

/**
 * Reads a request body into memory, refusing more than `limit` bytes with 413 (IoT Hub's
 * `MessageTooLarge`) before buffering it: a declared `Content-Length` over the limit is
 * refused without reading, and a chunked body stops being buffered at the limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (!Number.isSafeInteger(n) || n < 0) return Promise.reject(apiErrors.badRequest('Content-Length is not a valid length.'));
    if (n > limit) return Promise.reject(apiErrors.tooLarge(limit));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: Error | undefined) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish(apiErrors.tooLarge(limit));
        // Keep the socket readable so the 413 can be written; node discards the rest of the body.
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onError = (error: Error) => finish(apiErrors.badRequest(`The request body could not be read: ${error.message}`));
    const onAborted = () => finish(apiErrors.badRequest('The request was aborted.'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/**
 * Reads and discards what is left of a request body, at most `maxBytes` and for at most
 * `timeoutMs`; resolves true when the body ended within those bounds. A body past the bounds
 * is left unread (the caller closes the connection).
 */
export function drainBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<boolean> {
  if (req.complete || req.destroyed) return Promise.resolve(req.complete);
  return new Promise<boolean>((resolve) => {
    let seen = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      if (!ended) req.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(req.complete);
    const timer = setTimeout(() => finish(false), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
    req.resume();
  });
}

/**
 * Parses a JSON request body. Content types other than JSON are 415; a body that is empty
 * or not JSON is 400. Keys named `__proto__` are refused so a merge of the parsed value
 * can never reach an object's prototype.
 */
export function parseJsonBody(body: Buffer, contentType: string | undefined): unknown {
  if (contentType !== undefined && contentType !== '' && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType.trim())) {
    throw apiErrors.unsupportedMediaType(`Content-Type '${contentType.slice(0, 80)}' is not supported; send application/json.`);
  }
  if (body.length === 0) throw apiErrors.badRequest('The request body is empty; a JSON document is required.');
  const text = body.toString('utf8');
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new SyntaxError('the key "__proto__" is not allowed');
      return value;
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw apiErrors.badRequest(`The request body is not valid JSON: ${reason}`);
  }
}

/** True for a plain JSON object (not an array, not null). */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
