/**
 * User metadata travels as `x-amz-meta-*` HTTP headers: keys come back lowercase, values must be printable
 * ASCII to survive, and AWS allows 2 KiB in all. `sha256` is reserved for the module's own checksum.
 */
import { UsageError } from '../core/errors.js';

export const SHA256_METADATA_KEY = 'sha256';
const MAX_METADATA_BYTES = 2048;

export function validateMetadata(metadata: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const [key, value] of Object.entries(metadata)) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(key)) {
      throw new UsageError(`object metadata key "${key}" is not allowed`, 'use lowercase letters, digits and hyphens');
    }
    if (key === SHA256_METADATA_KEY) {
      throw new UsageError('object metadata key "sha256" is reserved', 'the upload sets it from the file itself');
    }
    if (!/^[\x20-\x7e]*$/.test(value)) {
      throw new UsageError(
        `object metadata "${key}" must be printable ASCII`,
        'encode other text (for instance as base64)',
      );
    }
    bytes += key.length + value.length;
    out[key] = value;
  }
  if (bytes > MAX_METADATA_BYTES - 80) {
    throw new UsageError(
      `object metadata is ${bytes} bytes, more than S3 allows`,
      'keep object metadata short; put details in the manifest',
    );
  }
  return out;
}
