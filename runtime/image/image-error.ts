import { EdgemuError } from '../errors.js';

/**
 * Stable codes of the image area's errors (callers and tests branch on these):
 * - `IMAGE_NO_ENTRY`: the module folder has no index.ts/.mts/.js/.mjs (or does not exist);
 * - `IMAGE_BUILD_FAILED`: esbuild could not bundle the module (its message names file and line);
 * - `IMAGE_BASE_FAILED`: the Node.js base could not be assembled from the host's runtime;
 * - `IMAGE_INVALID_REFERENCE`: a `--tag` that is not an image reference;
 * - `IMAGE_ARCHIVE_INVALID`: a file that is neither an OCI image archive nor a `docker save` archive;
 * - `IMAGE_CTR_MISSING`: the `ctr` client is not installed;
 * - `IMAGE_CONTAINERD_UNREACHABLE`: no containerd answers at the target address;
 * - `IMAGE_IMPORT_FAILED`, `IMAGE_LIST_FAILED`: containerd refused the request.
 */
export type ImageErrorCode =
  | 'IMAGE_NO_ENTRY'
  | 'IMAGE_BUILD_FAILED'
  | 'IMAGE_BASE_FAILED'
  | 'IMAGE_INVALID_REFERENCE'
  | 'IMAGE_ARCHIVE_INVALID'
  | 'IMAGE_CTR_MISSING'
  | 'IMAGE_CONTAINERD_UNREACHABLE'
  | 'IMAGE_IMPORT_FAILED'
  | 'IMAGE_LIST_FAILED';

export class ImageError extends EdgemuError {
  declare readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
  }

  override get name(): string {
    return 'ImageError';
  }
}
