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
import { decryptDump, detectFormat, type DecryptOptions, type DecryptResult, type DumpFormat } from './decrypt.js';
import { fetchAndDecrypt, openBucketDump, type BucketDump, type FetchResult } from './fetch.js';
import { formatBytes } from '../core/format.js';
import { checkFormatAndSize, mismatch } from './dump-checks.js';
import { checkFreeSpace } from './space.js';
import type { DumpRef, VerifiedDump } from './types.js';

export interface VerifyParams {
  dump: DumpRef;
  fullRead: 'auto' | 'always' | 'never';
}

export { DumpIntegrityError } from './dump-checks.js';

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
  /** Set when the dump was fetched from the bucket in this step. */
  fetched?: { checkedAgainst: FetchResult['checkedAgainst'] };
  storedSha256: string;
  storedSize: number;
  plaintextSha256: string;
  plaintextSize: number;
}

/** The dump's format, refused when unknown or when the file disagrees with its manifest's encryption or size. */
async function checkedFormat(dump: DumpRef, manifest: Manifest): Promise<Exclude<DumpFormat, 'unknown'>> {
  const cannotRead = (error: NodeJS.ErrnoException) => {
    throw new StepFailedError(
      `cannot read the dump ${dump.path}: ${error.code ?? error.message}`,
      'check the path and its permissions',
    );
  };
  const format = await detectFormat(dump.path).catch(cannotRead);
  const size = format !== 'unknown' && manifest ? (await stat(dump.path).catch(cannotRead)).size : dump.size;
  return checkFormatAndSize(dump, manifest, format, size);
}

/** Decrypts and decompresses the dump into the private folder (room checked first), hashing both sides; a dump
 * in the bucket is fetched in the same pass (fetch.ts). */
async function decryptToPrivate(
  dump: DumpRef,
  ctx: ActionContext,
  checked: string[],
  encrypted: boolean,
  bucket: BucketDump | undefined,
): Promise<DumpHashes> {
  const manifest = dump.manifest;
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
  const common = { destination: plaintextPath, identities, signal: ctx.signal };
  const { result, fetched } = await runDecryption(dump, ctx, encrypted, bucket, { ...common });
  const { storedSha256, storedSize, plaintextSha256, plaintextSize } = result;
  if (source) checked.push(`age: every chunk authenticated, last chunk present (identity from ${source})`);
  if (result.offsetsFilled > 0)
    ctx.output(
      `the data offsets of ${result.offsetsFilled} table(s) written into the archive's table of contents ` +
        `(pg_dump wrote it to a pipe): pg_restore seeks to a table's data instead of reading through the others`,
      'info',
    );
  if (fetched) reportFetch(ctx, fetched);
  ctx.output(
    `${encrypted ? 'decrypted' : 'decompressed'} ${formatBytes(result.storedSize)} in ` +
      `${(result.durationMs / 1000).toFixed(1)}s into the private folder (0600): ` +
      `a ${formatBytes(plaintextSize)} archive`,
    'info',
  );
  return {
    plaintextPath,
    storedSha256,
    storedSize,
    plaintextSha256,
    plaintextSize,
    ...(fetched ? { fetched: { checkedAgainst: fetched.checkedAgainst } } : {}),
  };
}

/** The bucket's object fetched and decrypted in one pass, or the local file decrypted. */
async function runDecryption(
  dump: DumpRef,
  ctx: ActionContext,
  encrypted: boolean,
  bucket: BucketDump | undefined,
  common: Pick<DecryptOptions, 'destination' | 'identities' | 'signal'>,
): Promise<{ result: DecryptResult; fetched?: FetchResult }> {
  if (bucket) {
    const fetched = await fetchAndDecrypt(bucket, dump, {
      ...common,
      onProgress: fetchProgress(ctx, dump.name, encrypted),
    });
    return { result: fetched, fetched };
  }
  const label = encrypted ? 'decrypting' : 'decompressing';
  const onProgress = (bytes: number) => ctx.progress({ done: bytes, total: dump.size, unit: 'bytes', label });
  return { result: await decryptDump({ ...common, source: dump.path, onProgress }) };
}

/** The progress of a fetch from the bucket: the bytes downloaded, with the time left at the rate so far. */
function fetchProgress(ctx: ActionContext, name: string, encrypted: boolean): (done: number, total: number) => void {
  const started = Date.now();
  const label = `downloading and ${encrypted ? 'decrypting' : 'decompressing'} ${name}`;
  return (done, total) => {
    const elapsed = Date.now() - started;
    const etaMs = done > 0 && elapsed > 0 ? Math.round(((total - done) * elapsed) / done) : undefined;
    ctx.progress({ done, total, unit: 'bytes', label, ...(etaMs !== undefined ? { etaMs } : {}) });
  };
}

function reportFetch(ctx: ActionContext, result: FetchResult): void {
  const against = result.checkedAgainst;
  ctx.output(
    `downloaded ${formatBytes(result.storedSize)} in ${(result.durationMs / 1000).toFixed(1)}s, streamed into ` +
      `the decryption (no copy of the encrypted file written)` +
      `${result.resumes > 0 ? `, the connection resumed ${result.resumes} time(s) from the byte reached` : ''}; ` +
      `SHA-256 ${against === 'none' ? 'not checked (no manifest, no metadata)' : `matches the ${against}`}`,
    against === 'none' ? 'warn' : 'info',
  );
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
    ...(hashes.fetched
      ? { path: plaintextPath, downloaded: true, fetchCheckedAgainst: hashes.fetched.checkedAgainst }
      : {}),
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
  const checked: string[] = [];
  const bucket =
    dump.origin === 'bucket' && dump.path === '' ? await openBucketDump(dump, ctx.settings, ctx.signal) : undefined;
  try {
    const format = bucket ? bucket.format : await checkedFormat(dump, dump.manifest);
    const pgRestore = await findPgRestore();
    const hashes =
      format === 'custom' && !bucket
        ? await hashPlainDump(dump, ctx)
        : await decryptToPrivate(dump, ctx, checked, format === 'age', bucket);
    bucket?.close();
    try {
      return await verifyArchive(params, ctx, pgRestore, hashes, checked);
    } catch (error) {
      if (hashes.plaintextPath !== dump.path) await rm(hashes.plaintextPath, { force: true });
      throw error;
    }
  } finally {
    bucket?.close();
  }
}
