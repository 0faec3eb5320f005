import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgemuError } from '../errors.js';
import type { Deployment, DeploymentStatusCode, ValidationIssue } from './model.js';
import { parseJsonText, parseManifestText } from './parse-manifest-text.js';
import { isLayeredContent, locateModulesContent, validateManifest } from './validate-manifest.js';
import { validateLayer } from './validate-layer.js';
import { IssueCollector } from './issue-collector.js';

/**
 * Reading manifests from disk (the fs edge of the manifest area): size cap, regular files
 * only, UTF-8 text only, so a wrong path, a directory, a huge or a binary file gets a clear
 * error instead of a hang, an out-of-memory or a stack trace.
 */

/** Manifests are small (IoT Hub caps each twin section at 32 KB); 4 MB leaves room for formatting. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export type ManifestFileErrorCode = 'MANIFEST_NOT_FOUND' | 'MANIFEST_NOT_A_FILE' | 'MANIFEST_TOO_LARGE' | 'MANIFEST_NOT_TEXT' | 'MANIFEST_UNREADABLE';

/** A manifest file that cannot be read as text (before any validation). */
export class ManifestFileError extends EdgemuError {
  constructor(code: ManifestFileErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }

  override get name(): string {
    return 'ManifestFileError';
  }
}

/** A manifest that was read but is not a valid deployment; `details` carries status and errors. */
export class ManifestInvalidError extends EdgemuError {
  constructor(
    file: string,
    readonly status: Exclude<DeploymentStatusCode, 200>,
    readonly errors: readonly ValidationIssue[],
  ) {
    const first = errors.slice(0, 3).map((e) => `${e.path || '(document)'}: ${e.message}`).join('; ');
    super('MANIFEST_INVALID', `${file} is not a valid deployment (status ${status}, ${errors.length} problem${errors.length === 1 ? '' : 's'}): ${first}${errors.length > 3 ? '; …' : ''}`, {
      details: { status, errors },
    });
  }

  override get name(): string {
    return 'ManifestInvalidError';
  }
}

/** Reads a manifest file as UTF-8 text, refusing what cannot be a manifest. */
export async function readManifestFile(file: string, options: { maxBytes?: number } = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_MANIFEST_BYTES;
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    throw fsError(file, error);
  }
  if (info.isDirectory()) throw new ManifestFileError('MANIFEST_NOT_A_FILE', `${file} is a directory, not a manifest file`);
  if (!info.isFile()) throw new ManifestFileError('MANIFEST_NOT_A_FILE', `${file} is not a regular file`);
  if (info.size > maxBytes) throw tooLarge(file, info.size, maxBytes);
  let bytes: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      // read at most maxBytes + 1 even if the file grew since stat
      const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      bytes = buffer.subarray(0, length);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fsError(file, error);
  }
  if (bytes.length > maxBytes) throw tooLarge(file, bytes.length, maxBytes);
  return decodeManifestBytes(file, bytes);
}

/**
 * Reads a manifest from a stream (standard input for `edgemu validate -`), stopping as soon
 * as it exceeds the size cap instead of buffering whatever is piped in.
 */
export async function readManifestStream(stream: AsyncIterable<Uint8Array | string>, label: string, options: { maxBytes?: number } = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_MANIFEST_BYTES;
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      length += bytes.length;
      if (length > maxBytes) throw tooLarge(label, length, maxBytes, true);
      chunks.push(bytes);
    }
  } catch (error) {
    if (error instanceof ManifestFileError) throw error;
    throw new ManifestFileError('MANIFEST_UNREADABLE', `${label} cannot be read: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  return decodeManifestBytes(label, Buffer.concat(chunks, length));
}

/** Decodes UTF-8, refusing binary data and UTF-16 with a message that says so. */
export function decodeManifestBytes(file: string, bytes: Uint8Array): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ManifestFileError('MANIFEST_NOT_TEXT', `${file} is UTF-16 encoded; save it as UTF-8`);
  }
  if (bytes.includes(0)) throw new ManifestFileError('MANIFEST_NOT_TEXT', `${file} contains NUL bytes: it looks like a binary file, not a JSON manifest`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ManifestFileError('MANIFEST_NOT_TEXT', `${file} is not UTF-8 text: it looks like a binary file, not a JSON manifest`);
  }
}

function tooLarge(file: string, size: number, maxBytes: number, atLeast = false): ManifestFileError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  const what = atLeast ? `larger than ${mb(maxBytes)}` : size > maxBytes * 10 ? mb(size) : `${size} bytes`;
  return new ManifestFileError('MANIFEST_TOO_LARGE', `${file} is ${what}; manifests are limited to ${mb(maxBytes)} (IoT Hub allows 32 KB per twin section)`);
}

function fsError(file: string, error: unknown): ManifestFileError {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new ManifestFileError('MANIFEST_NOT_FOUND', `${file}: no such file`, { cause: error });
  if (code === 'EISDIR') return new ManifestFileError('MANIFEST_NOT_A_FILE', `${file} is a directory, not a manifest file`, { cause: error });
  if (code === 'EACCES' || code === 'EPERM') return new ManifestFileError('MANIFEST_UNREADABLE', `${file}: permission denied`, { cause: error });
  if (code === 'ENOTDIR') return new ManifestFileError('MANIFEST_NOT_FOUND', `${file}: a parent of this path is not a directory`, { cause: error });
  return new ManifestFileError('MANIFEST_UNREADABLE', `${file} cannot be read: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** True for a manifest whose modulesContent is layered-deployment content. */
function isLayerDocument(doc: unknown): boolean {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const located = locateModulesContent(doc as Record<string, unknown>, new IssueCollector());
  return located !== undefined && isLayeredContent(located.content);
}

/** One entry of `edgemu validate --json`: the contract scripts rely on. */
export interface FileValidationReport {
  file: string;
  valid: boolean;
  /** 200 when valid; otherwise the status IoT Edge would report (a file that cannot be read counts as 400). */
  status: DeploymentStatusCode;
  errors: ValidationIssue[];
  warnings: string[];
  /** Present (`layer`) only for layered-deployment content, judged on its own (it applies on top of a base deployment). */
  kind?: 'layer';
}

/**
 * Reads and validates one file (`-` reads `options.stdin`, default standard input); never
 * throws (read problems become a 400 report at path "").
 */
export async function validateManifestFile(
  file: string,
  options: { maxBytes?: number; stdin?: AsyncIterable<Uint8Array | string> } = {},
): Promise<{ report: FileValidationReport; deployment: Deployment | undefined }> {
  let text: string;
  try {
    text = file === '-' ? await readManifestStream(options.stdin ?? process.stdin, 'standard input', options) : await readManifestFile(file, options);
  } catch (error) {
    const message = error instanceof ManifestFileError ? error.message : `${file} cannot be read: ${String(error)}`;
    return { report: { file, valid: false, status: 400, errors: [{ path: '', message }], warnings: [] }, deployment: undefined };
  }
  const parsed = parseJsonText(text);
  if (parsed.ok && isLayerDocument(parsed.value)) {
    const layer = validateLayer(parsed.value);
    return { report: { file, valid: layer.status === 200, status: layer.status, errors: layer.errors, warnings: layer.warnings, kind: 'layer' }, deployment: undefined };
  }
  const result = parsed.ok ? validateManifest(parsed.value) : parseManifestText(text);
  return {
    report: { file, valid: result.status === 200, status: result.status, errors: result.errors, warnings: result.warnings },
    deployment: result.value,
  };
}

/**
 * Reads and validates a manifest file for commands that go on to use it (`up`, `deploy`):
 * returns the deployment and its warnings, or throws `ManifestFileError`/`ManifestInvalidError`.
 */
export async function loadDeploymentFile(file: string, options: { maxBytes?: number } = {}): Promise<{ deployment: Deployment; warnings: string[] }> {
  const text = await readManifestFile(file, options);
  const result = parseManifestText(text);
  if (result.status !== 200) throw new ManifestInvalidError(file, result.status, result.errors);
  return { deployment: result.value, warnings: result.warnings };
}

/**
 * The manifest files `edgemu check` reads: a directory gives its `*.json` files (not its
 * subdirectories), sorted; a file gives itself. A missing path is a `MANIFEST_NOT_FOUND` error.
 */
export async function listManifestFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch (error) {
      throw fsError(p, error);
    }
    if (!info.isDirectory()) {
      files.push(p);
      continue;
    }
    const names = (await readdir(p)).filter((n) => n.toLowerCase().endsWith('.json')).sort();
    for (const n of names) if ((await stat(join(p, n))).isFile()) files.push(join(p, n));
  }
  return files;
}
