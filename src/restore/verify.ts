/**
 * restore.verify: the dump proven whole before the target is touched. Encrypted dumps are decrypted into the
 * private folder (room checked first) while both SHA-256 are computed; with a manifest they must equal its
 * `dump.sha256` and `dump.plaintextSha256` (age's per-chunk authentication has already rejected any altered or
 * truncated chunk); without one, the whole archive is read by pg_restore. Either way the archive's table of
 * contents is read for the steps that follow.
 */
import { join } from 'node:path';
import { rm, stat } from 'node:fs/promises';
import { StepFailedError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { obtainAgeIdentities } from '../keysource/age-identity.js';
import { sha256OfFile } from '../s3/hash.js';
import { findPgRestore, readArchiveInFull, readArchiveList } from './archive.js';
import { decryptDump, detectFormat, type DumpFormat } from './decrypt.js';
import { formatBytes } from '../core/format.js';
import { checkFreeSpace } from './space.js';
import type { DumpRef, VerifiedDump } from './types.js';

export interface VerifyParams {
  dump: DumpRef;
  fullRead: 'auto' | 'always' | 'never';
}

export class DumpIntegrityError extends StepFailedError {}

function mismatch(what: string, expected: string, actual: string): DumpIntegrityError {
  return new DumpIntegrityError(
    `the dump does not match its manifest: ${what} is ${actual}, the manifest says ${expected}; the ` +
      `file is damaged or was altered (nothing was changed)`,
    'fetch the dump again (the bucket copy, or the local one), or restore another dump; compare ' +
      'with `sha256sum <file>`',
  );
}

/** `obexal-<stamp>.dump` for `obexal-<stamp>.dump.zst.age`: the name of the archive pg_restore reads. */
function plaintextName(name: string): string {
  const archive = name.replace(/\.age$/, '').replace(/\.zst$/, '');
  return archive === name ? `${name}.plain` : archive;
}

/** The private folder's room for the archive: the manifest's exact size, else a zstd file's size × 5 (measured
 * 4.2-4.6 on identity-provider data), else the file's own size. */
function archiveBytesEstimate(dump: DumpRef, manifest: Manifest): number {
  if (manifest) return manifest.dump.plaintextSize;
  return dump.name.includes('.dump.zst') ? dump.size * 5 : dump.size;
}

type Manifest = DumpRef['manifest'];

interface DumpHashes {
  plaintextPath: string;
  storedSha256: string;
  storedSize: number;
  plaintextSha256: string;
  plaintextSize: number;
}

/** The dump's format, refused when unknown or when the file disagrees with its manifest's encryption or size. */
async function checkedFormat(dump: DumpRef, manifest: Manifest): Promise<Exclude<DumpFormat, 'unknown'>> {
  const format = await detectFormat(dump.path).catch((error: NodeJS.ErrnoException) => {
    throw new StepFailedError(
      `cannot read the dump ${dump.path}: ${error.code ?? error.message}`,
      'check the path and its permissions',
    );
  });
  if (format === 'unknown') {
    throw new DumpIntegrityError(
      `${dump.name} is neither an age file nor a pg_dump custom-format archive (nor one compressed with zstd)`,
      'check that this is an obexal-<time>.dump.zst.age (or .dump.age, .dump.zst, .dump) file; nothing was changed',
    );
  }
  if (manifest && (manifest.dump.encryption === 'age') !== (format === 'age')) {
    throw mismatch('its encryption', manifest.dump.encryption, format === 'age' ? 'age' : 'none');
  }
  if (manifest) {
    const { size } = await stat(dump.path);
    if (size !== manifest.dump.size) {
      throw new DumpIntegrityError(
        `${dump.name} is ${size} bytes, its manifest records ${manifest.dump.size}: the file ` +
          `is ${size < manifest.dump.size ? 'truncated' : 'not the dump the manifest describes'} ` +
          `(nothing was changed)`,
        'fetch the dump again (the bucket copy, or the local one), or restore another dump',
      );
    }
  }
  return format;
}

/** Decrypts and decompresses the dump into the private folder (room checked first), hashing both sides. */
async function decryptToPrivate(
  dump: DumpRef,
  manifest: Manifest,
  ctx: ActionContext,
  checked: string[],
  encrypted: boolean,
): Promise<DumpHashes> {
  if (!encrypted) warnNotEncrypted(dump, ctx);
  const dir = await ctx.privateDir();
  const space = await checkFreeSpace(dir, archiveBytesEstimate(dump, manifest), `the decrypted dump`);
  if (space.ramBacked)
    ctx.output(
      `the private folder ${dir} is on a RAM-backed file system: the decrypted dump uses memory ` +
        `(set TMPDIR to a disk folder to avoid it)`,
      'warn',
    );
  const { identities, source } = encrypted
    ? await obtainAgeIdentities(ctx, manifest?.dump.recipients ?? [])
    : { identities: undefined, source: undefined };
  const plaintextPath = join(dir, plaintextName(dump.name));
  const total = dump.size;
  const result = await decryptDump({
    source: dump.path,
    destination: plaintextPath,
    identities,
    signal: ctx.signal,
    onProgress: (bytes) =>
      ctx.progress({ done: bytes, total, unit: 'bytes', label: encrypted ? 'decrypting' : 'decompressing' }),
  });
  const { storedSha256, storedSize, plaintextSha256, plaintextSize } = result;
  if (source) checked.push(`age: every chunk authenticated, last chunk present (identity from ${source})`);
  if (result.offsetsFilled > 0)
    ctx.output(
      `the data offsets of ${result.offsetsFilled} table(s) written into the archive's table of contents ` +
        `(pg_dump wrote it to a pipe): pg_restore seeks to a table's data instead of reading through the others`,
      'info',
    );
  ctx.output(
    `${encrypted ? 'decrypted' : 'decompressed'} ${formatBytes(result.storedSize)} in ` +
      `${(result.durationMs / 1000).toFixed(1)}s into the private folder (0600): ` +
      `a ${formatBytes(plaintextSize)} archive`,
    'info',
  );
  return { plaintextPath, storedSha256, storedSize, plaintextSha256, plaintextSize };
}

function warnNotEncrypted(dump: DumpRef, ctx: ActionContext): void {
  ctx.output(
    `${dump.name} is not encrypted (a plain pg_dump archive: BACKUP_ENCRYPTION=none, or Obexal's ` +
      `own backup script): no identity needed`,
    'warn',
  );
}

/** A plain archive: hashed where it lies, the archive and the file being one. */
async function hashPlainDump(dump: DumpRef, ctx: ActionContext): Promise<DumpHashes> {
  const { sha256: storedSha256, size: storedSize } = await sha256OfFile(dump.path, { signal: ctx.signal });
  warnNotEncrypted(dump, ctx);
  return {
    plaintextPath: dump.path,
    storedSha256,
    storedSize,
    plaintextSha256: storedSha256,
    plaintextSize: storedSize,
  };
}

function checkAgainstManifest(manifest: Manifest, hashes: DumpHashes, checked: string[], unchecked: string[]): void {
  if (manifest) {
    if (hashes.storedSize !== manifest.dump.size)
      throw mismatch('its size', `${manifest.dump.size} bytes`, `${hashes.storedSize} bytes`);
    if (hashes.storedSha256 !== manifest.dump.sha256)
      throw mismatch('its SHA-256', manifest.dump.sha256, hashes.storedSha256);
    if (hashes.plaintextSha256 !== manifest.dump.plaintextSha256)
      throw mismatch('the SHA-256 of the archive inside', manifest.dump.plaintextSha256, hashes.plaintextSha256);
    checked.push('SHA-256 and size of the file and of the archive inside, against the manifest');
  } else {
    unchecked.push(
      'SHA-256 against a manifest (none)',
      'row counts against a manifest (none)',
      'the key era named by a manifest (none: choose it)',
    );
  }
}

/** The checks after the hashes: the manifest, the table of contents, the full read when asked; then the result. */
async function verifyArchive(
  params: VerifyParams,
  ctx: ActionContext,
  pgRestore: string,
  hashes: DumpHashes,
  checked: string[],
): Promise<ActionResult> {
  const { dump } = params;
  const manifest = dump.manifest;
  const unchecked: string[] = [];
  const { plaintextPath, plaintextSize, plaintextSha256 } = hashes;
  checkAgainstManifest(manifest, hashes, checked, unchecked);
  if (dump.downloaded && plaintextPath !== dump.path) await rm(dump.path, { force: true });

  const archive = await readArchiveList(pgRestore, plaintextPath, ctx.signal);
  checked.push(`table of contents: ${archive.entries} entries, ${archive.tableData.length} tables with data`);
  const fullRead = params.fullRead === 'always' || (params.fullRead === 'auto' && !manifest);
  if (fullRead) {
    const started = Date.now();
    ctx.progress({ done: 0, label: 'reading the whole archive (pg_restore --file=/dev/null)' });
    await readArchiveInFull(pgRestore, plaintextPath, ctx.signal);
    checked.push(`the whole archive read by pg_restore (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  }
  const { toc: _toc, ...archiveInfo } = archive;
  const verified: VerifiedDump = {
    ...dump,
    ...(dump.downloaded ? { path: plaintextPath } : {}),
    plaintextPath,
    plaintextSize,
    plaintextSha256,
    archive: archiveInfo,
    takenAt: manifest?.startedAt ?? archiveInfo.createdAt,
    checked,
    unchecked,
  };
  for (const line of checked) ctx.output(`checked: ${line}`, 'info');
  for (const line of unchecked) ctx.output(`not checked: ${line}`, 'warn');
  return {
    message:
      `${dump.name} ` +
      `verified${manifest ? ' against its manifest' : ' (no manifest: archive read in full)'}; ` +
      `PostgreSQL ${archive.dumpedFrom ?? '?'}, taken ${verified.takenAt ?? 'at an unknown time'}`,
    data: { dump: verified, record: { dumpVerified: { name: dump.name, plaintextSha256, checked, unchecked } } },
  };
}

export async function runVerify(params: VerifyParams, ctx: ActionContext): Promise<ActionResult> {
  const { dump } = params;
  const manifest = dump.manifest;
  const checked: string[] = [];
  const format = await checkedFormat(dump, manifest);
  const pgRestore = await findPgRestore();
  const hashes =
    format === 'custom'
      ? await hashPlainDump(dump, ctx)
      : await decryptToPrivate(dump, manifest, ctx, checked, format === 'age');
  try {
    return await verifyArchive(params, ctx, pgRestore, hashes, checked);
  } catch (error) {
    if (hashes.plaintextPath !== dump.path) await rm(hashes.plaintextPath, { force: true });
    throw error;
  }
}
