/**
 * Replication of BACKUP_DIR to the bucket: every complete local backup (dump + manifest) that the bucket lacks,
 * or holds with another size or SHA-256, goes up (streamed multipart, SHA-256 as metadata, Object Lock
 * retention where the bucket has it); each copy is checked (size and SHA-256 metadata), the newest dump is
 * read back in full and hashed; then the manifest records the check (`verified.bucket`, `bucketCheckedAt`)
 * locally and goes up too. So a bucket that was down at one run is caught up at the next, and a deleted copy
 * is replicated again.
 */
import { join } from 'node:path';
import { isAbortError, StepFailedError } from '../core/errors.js';
import { closeS3, openS3 } from '../s3/client.js';
import { S3Error } from '../s3/errors.js';
import { inspectBucket, type BucketInspection } from '../s3/inspect.js';
import { mapLimited } from '../core/map-limited.js';
import { headObject } from '../s3/objects.js';
import type { S3Settings } from '../s3/settings.js';
import { uploadFile, type ObjectLockRetention } from '../s3/upload.js';
import { verifyObjectContent, verifyStoredObject } from '../s3/verify.js';
import { takeDumpUploads } from './dump-upload.js';
import { localInventory, type StoredBackup } from './inventory.js';
import type { Manifest } from './manifest.js';
import { markBucketVerified, manifestFileSha256 } from './manifest-file.js';
import { planLocation, type RetentionPolicy } from './retention.js';

export interface ReplicateOptions {
  backupDir: string;
  s3: S3Settings;
  policy: RetentionPolicy;
  signal?: AbortSignal;
  output?: (line: string, stream?: 'info' | 'warn') => void;
  progress?: (update: { done: number; total: number; unit: 'bytes'; label: string; etaMs?: number }) => void;
}

export interface ReplicateResult {
  bucket: string;
  prefix: string;
  uploaded: string[];
  /** Backups whose copy was already in the bucket with the same size and SHA-256. */
  alreadyThere: string[];
  /** The dump whose copy was read back in full. */
  newest?: string;
  bytesUploaded: number;
  skipped: { name: string; why: string }[];
  inspection: Pick<BucketInspection, 'region' | 'versioning' | 'lifecycle' | 'objectLock' | 'notes'>;
}

type Candidate = StoredBackup & {
  dump: NonNullable<StoredBackup['dump']>;
  manifest: Manifest;
  manifestFile: NonNullable<StoredBackup['manifestFile']>;
};

/** A failure that concerns the bucket as a whole: stop, say that the local backup is safe. */
function bucketFailure(error: unknown, newest: string | undefined): Error {
  if (
    isAbortError(error) ||
    !(error instanceof S3Error) ||
    error.kind === 'verification-failed' ||
    error.kind === 'not-found'
  )
    return error as Error;
  const kept = newest
    ? `the local dump ${newest} is complete and kept; the next run replicates it`
    : 'the local backups are kept; the next run replicates them';
  return new StepFailedError(`replication failed: ${error.message}; ${kept}`, error.hint, error);
}

/** Dumps uploaded while they were written (the bucket already holds them, sent by this run), and read back. */
interface DuringDump {
  uploaded: string[];
  /** Read back in full right after their upload, matching. */
  readBack: string[];
}

/** The uploads begun during this process's dumps: waited for, reported; the names that went up. */
async function finishDumpUploads(say: (line: string, stream?: 'info' | 'warn') => void): Promise<DuringDump> {
  const uploaded: string[] = [];
  const readBack: string[] = [];
  for (const outcome of await takeDumpUploads()) {
    if ('uploaded' in outcome) {
      const { size, sha256 } = outcome.uploaded;
      uploaded.push(outcome.name);
      if (outcome.readBack) readBack.push(outcome.name);
      say(`${outcome.name}: uploaded during the dump (${size} bytes, SHA-256 ${sha256})`);
    } else if ('failed' in outcome) {
      say(`the upload of ${outcome.name} begun during the dump failed (${outcome.failed}): uploading it now`, 'warn');
    } else say(`${outcome.name} was not uploaded during the dump: ${outcome.notStarted}`);
  }
  return { uploaded, readBack };
}

export async function replicateBackups(options: ReplicateOptions): Promise<ReplicateResult> {
  const say = options.output ?? (() => undefined);
  const duringDump = await finishDumpUploads(say);
  const local = await localInventory(options.backupDir);
  const localPlan = planLocation(local, options.policy);
  const pruneNext = new Set(localPlan.backups.filter((d) => d.verdict === 'prune').map((d) => d.stamp));
  const skipped: ReplicateResult['skipped'] = [];
  const candidates: Candidate[] = [];
  for (const backup of local.backups) {
    const name = backup.dump?.name ?? backup.manifestFile?.name ?? backup.stamp;
    if (!backup.dump || !backup.manifestFile || !backup.manifest || backup.manifestFrom !== 'local') {
      skipped.push({
        name,
        why: !backup.dump
          ? 'manifest without its dump'
          : backup.manifestProblem
            ? `its manifest is ${backup.manifestProblem}`
            : 'no manifest',
      });
    } else if (!backup.complete) {
      skipped.push({
        name,
        why: `its size (${backup.dump.size} bytes) differs from its manifest (${backup.manifest.dump.size})`,
      });
    } else if (pruneNext.has(backup.stamp)) {
      skipped.push({ name, why: 'past the retention window (retention prunes it)' });
    } else {
      candidates.push(backup as Candidate);
    }
  }
  for (const s of skipped) say(`not replicated: ${s.name}: ${s.why}`, 'warn');
  const newest = candidates.at(-1);
  const context = openS3(options.s3);
  try {
    return await replicateCandidates(context, { candidates, newest, skipped, duringDump }, options);
  } catch (error) {
    throw bucketFailure(error, newest?.dump.name);
  } finally {
    closeS3(context);
  }
}

/** HEAD requests in flight at once when checking the copies (each is one small round trip). */
const HEADS_IN_FLIGHT = 8;

/** One replication run: the bucket, what its inspection found, and the progress and outcome so far. */
interface Replication {
  context: ReturnType<typeof openS3>;
  options: ReplicateOptions;
  say: (line: string, stream?: 'info' | 'warn') => void;
  lock: boolean;
  lockMode: ObjectLockRetention['mode'];
  total: number;
  started: number;
  /** Bytes of the dumps handled before the current one (the progress counts on from there). */
  doneBefore: number;
  uploaded: string[];
  failures: string[];
}

/** What the bucket lacks, or holds differently. */
async function sortByBucket(
  context: Replication['context'],
  candidates: Candidate[],
  signal: AbortSignal | undefined,
): Promise<{ toUpload: Candidate[]; alreadyThere: string[] }> {
  const toUpload: Candidate[] = [];
  const alreadyThere: string[] = [];
  // One round trip per copy, several at once: a 14-day retention checks some 14 copies on every run.
  const heads = await mapLimited(candidates, HEADS_IN_FLIGHT, (backup) =>
    headObject(context, backup.dump.name, { signal }),
  );
  candidates.forEach((backup, index) => {
    const head = heads[index];
    if (head && head.size === backup.manifest.dump.size && head.sha256?.toLowerCase() === backup.manifest.dump.sha256)
      alreadyThere.push(backup.dump.name);
    else toUpload.push(backup);
  });
  return { toUpload, alreadyThere };
}

function reportProgress(run: Replication, done: number, label: string): void {
  const elapsed = Date.now() - run.started;
  const etaMs = done > 0 && elapsed > 0 ? Math.round(((run.total - done) * elapsed) / done) : undefined;
  run.options.progress?.({ done, total: run.total, unit: 'bytes', label, ...(etaMs !== undefined ? { etaMs } : {}) });
}

function objectLockFor(run: Replication, backup: Candidate): { objectLock?: { retention?: ObjectLockRetention } } {
  if (!run.lock) return {};
  const windowEnd = backup.takenAt.getTime() + run.options.policy.retentionDays * 86_400_000;
  const until = Math.max(windowEnd, backup.pinUntil?.getTime() ?? 0);
  // A retain-until in the past is refused; the bucket's default retention then applies.
  return until > Date.now() + 60_000
    ? { objectLock: { retention: { mode: run.lockMode, retainUntil: new Date(until) } } }
    : { objectLock: {} };
}

async function uploadDump(run: Replication, backup: Candidate): Promise<void> {
  const { context } = run;
  const { signal, backupDir } = run.options;
  run.say(`uploading ${backup.dump.name} (${backup.dump.size} bytes)`);
  await uploadFile(context, {
    file: join(backupDir, backup.dump.name),
    name: backup.dump.name,
    sha256: backup.manifest.dump.sha256,
    ...objectLockFor(run, backup),
    signal,
    onProgress: (p) => reportProgress(run, run.doneBefore + p.done, `upload ${backup.dump.name}`),
  });
  await verifyStoredObject(
    context,
    backup.dump.name,
    { size: backup.manifest.dump.size, sha256: backup.manifest.dump.sha256 },
    { signal },
  );
}

/** A copy that fails its check is a failure of that backup; any other error stops the run. */
async function uploadDumps(run: Replication, toUpload: Candidate[]): Promise<void> {
  for (const backup of toUpload) {
    try {
      await uploadDump(run, backup);
      run.uploaded.push(backup.dump.name);
    } catch (error) {
      if (!(error instanceof S3Error) || error.kind !== 'verification-failed') throw error;
      run.failures.push(`${backup.dump.name}: ${error.message}`);
      run.say(`${backup.dump.name} was not replicated: ${error.message}`, 'warn');
    }
    run.doneBefore += backup.dump.size;
  }
}

/** The newest dump is read back in full: the only check that catches damaged content behind correct metadata. */
async function readBackNewest(run: Replication, newest: Candidate, readDuringDump: boolean): Promise<void> {
  if (readDuringDump) {
    run.say(
      `${newest.dump.name}: the copy in the bucket was read back in full right after its upload and matches ` +
        `(SHA-256 ${newest.manifest.dump.sha256})`,
    );
    return;
  }
  const { context } = run;
  const { signal } = run.options;
  const expected = { size: newest.manifest.dump.size, sha256: newest.manifest.dump.sha256 };
  const readBack = (): Promise<unknown> =>
    verifyObjectContent(context, newest.dump.name, expected, {
      signal,
      onProgress: (p) => reportProgress(run, run.doneBefore + p.done, `read back ${newest.dump.name}`),
    });
  try {
    await readBack();
  } catch (error) {
    if (!(error instanceof S3Error) || error.kind !== 'verification-failed') throw error;
    run.say(`the copy of ${newest.dump.name} read back differently (${error.message}): uploading it again`, 'warn');
    await uploadDump(run, newest);
    await readBack();
    if (!run.uploaded.includes(newest.dump.name)) run.uploaded.push(newest.dump.name);
  }
  run.say(
    `${newest.dump.name}: the copy in the bucket was read back in full and matches ` +
      `(SHA-256 ${newest.manifest.dump.sha256})`,
  );
}

/** The manifests: record the check locally, then make the bucket's copy the same bytes. */
async function replicateManifests(
  run: Replication,
  candidates: Candidate[],
  newest: Candidate | undefined,
): Promise<void> {
  const { context } = run;
  const { signal, backupDir } = run.options;
  const checkedAt = new Date().toISOString();
  // What the bucket holds of each manifest does not depend on the local marking below: asked all at once.
  const heads = mapLimited(candidates, HEADS_IN_FLIGHT, (backup) =>
    headObject(context, backup.manifestFile.name, { signal }),
  );
  heads.catch(() => undefined); // awaited in the loop
  for (const [index, backup] of candidates.entries()) {
    if (run.failures.some((f) => f.startsWith(`${backup.dump.name}:`))) continue;
    const path = join(backupDir, backup.manifestFile.name);
    const checkedNow = run.uploaded.includes(backup.dump.name) || backup === newest || !backup.manifest.verified.bucket;
    if (checkedNow) await markBucketVerified(path, checkedAt);
    const { sha256, size } = await manifestFileSha256(path);
    const head = (await heads)[index];
    if (head && head.size === size && head.sha256?.toLowerCase() === sha256) continue;
    await uploadFile(context, {
      file: path,
      name: backup.manifestFile.name,
      sha256,
      contentType: 'application/json',
      ...objectLockFor(run, backup),
      signal,
    });
    await verifyStoredObject(context, backup.manifestFile.name, { size, sha256 }, { signal });
  }
}

/** Dumps this run uploaded during the dump, found in the bucket as expected: uploaded, not "already there". */
function creditDuringDump(
  run: Replication,
  candidates: Candidate[],
  duringDump: DuringDump,
  alreadyThere: string[],
): number {
  let bytes = 0;
  for (const backup of candidates)
    if (duringDump.uploaded.includes(backup.dump.name) && alreadyThere.includes(backup.dump.name)) {
      run.uploaded.push(backup.dump.name);
      alreadyThere.splice(alreadyThere.indexOf(backup.dump.name), 1);
      bytes += backup.dump.size;
    }
  return bytes;
}

interface Candidates {
  candidates: Candidate[];
  newest: Candidate | undefined;
  skipped: ReplicateResult['skipped'];
  duringDump: DuringDump;
}

async function replicateCandidates(
  context: ReturnType<typeof openS3>,
  { candidates, newest, skipped, duringDump }: Candidates,
  options: ReplicateOptions,
): Promise<ReplicateResult> {
  const { signal } = options;
  const say = options.output ?? (() => undefined);
  const inspection = await inspectBucket(context, { signal });
  const lock = inspection.objectLock.status === 'enabled';
  const lockMode = inspection.objectLock.defaultRetention?.mode === 'COMPLIANCE' ? 'COMPLIANCE' : 'GOVERNANCE';

  const { toUpload, alreadyThere } = await sortByBucket(context, candidates, signal);
  let uploadBytes = toUpload.reduce((sum, b) => sum + b.dump.size, 0);
  const total = uploadBytes + (newest?.dump.size ?? 0);
  const run: Replication = {
    context,
    options,
    say,
    lock,
    lockMode,
    total,
    started: Date.now(),
    doneBefore: 0,
    uploaded: [],
    failures: [],
  };
  uploadBytes += creditDuringDump(run, candidates, duringDump, alreadyThere);
  await uploadDumps(run, toUpload);
  // Read back already only if this run's copy is the one the bucket holds (not uploaded again just now).
  const readAlready = (name: string) =>
    duringDump.readBack.includes(name) && !toUpload.some((b) => b.dump.name === name);
  if (newest && !run.failures.some((f) => f.startsWith(`${newest.dump.name}:`)))
    await readBackNewest(run, newest, readAlready(newest.dump.name));
  await replicateManifests(run, candidates, newest);

  if (run.failures.length > 0) {
    throw new StepFailedError(
      `${run.failures.length} backup(s) could not be replicated: ${run.failures.join('; ')}`,
      'a local dump that no longer matches its manifest is damaged: take a new backup, and keep the ' +
        'damaged file for inspection',
    );
  }
  const result: ReplicateResult = {
    bucket: context.settings.bucket,
    prefix: context.settings.prefix,
    uploaded: run.uploaded,
    alreadyThere,
    bytesUploaded: uploadBytes,
    skipped,
    inspection: {
      region: inspection.region,
      versioning: inspection.versioning,
      lifecycle: inspection.lifecycle,
      objectLock: inspection.objectLock,
      notes: inspection.notes,
    },
  };
  if (newest) result.newest = newest.dump.name;
  return result;
}

export function replicationSummary(result: ReplicateResult): string {
  const parts = [
    `${result.uploaded.length} uploaded`,
    `${result.alreadyThere.filter((n) => !result.uploaded.includes(n)).length} already there`,
  ];
  if (result.newest) parts.push(`newest ${result.newest} read back in full`);
  return `replicated to s3://${result.bucket}/${result.prefix}: ${parts.join(', ')}`;
}
