/**
 * The checks a dump passes before anything is decrypted, whether it lies in a file or in the bucket: a known
 * format, the encryption and the size its manifest records.
 */
import { StepFailedError } from '../core/errors.js';
import type { DumpFormat } from './decrypt.js';
import type { DumpRef } from './types.js';

export class DumpIntegrityError extends StepFailedError {}

type Manifest = DumpRef['manifest'];

export function mismatch(what: string, expected: string, actual: string): DumpIntegrityError {
  return new DumpIntegrityError(
    `the dump does not match its manifest: ${what} is ${actual}, the manifest says ${expected}; the ` +
      `file is damaged or was altered (nothing was changed)`,
    'fetch the dump again (the bucket copy, or the local one), or restore another dump; compare ' +
      'with `sha256sum <file>`',
  );
}

/** Refuses an unknown format, and a dump that disagrees with its manifest's encryption or size. */
export function checkFormatAndSize(
  dump: DumpRef,
  manifest: Manifest,
  format: DumpFormat,
  size: number,
): Exclude<DumpFormat, 'unknown'> {
  if (format === 'unknown') {
    throw new DumpIntegrityError(
      `${dump.name} is neither an age file nor a pg_dump custom-format archive (nor one compressed with zstd)`,
      'check that this is an obexal-<time>.dump.zst.age (or .dump.age, .dump.zst, .dump) file; nothing was changed',
    );
  }
  if (manifest && (manifest.dump.encryption === 'age') !== (format === 'age')) {
    throw mismatch('its encryption', manifest.dump.encryption, format === 'age' ? 'age' : 'none');
  }
  if (manifest && size !== manifest.dump.size) {
    throw new DumpIntegrityError(
      `${dump.name} is ${size} bytes, its manifest records ${manifest.dump.size}: the file ` +
        `is ${size < manifest.dump.size ? 'truncated' : 'not the dump the manifest describes'} ` +
        `(nothing was changed)`,
      'fetch the dump again (the bucket copy, or the local one), or restore another dump',
    );
  }
  return format;
}
