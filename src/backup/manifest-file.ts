/**
 * Rewriting a manifest file in place (atomically, 0600) when replication has checked the bucket's copy. The
 * file is rewritten from its own JSON, so fields this version of the tool does not know are kept.
 */
import { createHash } from 'node:crypto';
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { StepFailedError } from '../core/errors.js';

export function manifestText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export async function markBucketVerified(path: string, checkedAt: string): Promise<void> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  const verified = (raw['verified'] && typeof raw['verified'] === 'object' ? raw['verified'] : {}) as Record<
    string,
    unknown
  >;
  raw['verified'] = { local: verified['local'] ?? false, ...verified, bucket: true, bucketCheckedAt: checkedAt };
  const partial = `${path}.partial`;
  try {
    await writeFile(partial, manifestText(raw), { mode: 0o600 });
    await chmod(partial, 0o600);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    throw new StepFailedError(
      `cannot update the manifest ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      'check that BACKUP_DIR is writable and has room; the copy in the bucket is verified, the next run records it',
      error,
    );
  }
}

export async function manifestFileSha256(path: string): Promise<{ sha256: string; size: number }> {
  const bytes = await readFile(path);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}
