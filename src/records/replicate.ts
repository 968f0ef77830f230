/**
 * Copies the signed records of RECORDS_DIR to the bucket, beside the backups (`<S3_PREFIX>records/`), byte for
 * byte with their signatures, so that the evidence does not live on one machine. Only what the bucket lacks is
 * uploaded (records never change once written); a record whose copy differs is reported, never overwritten.
 *
 * The record writer (src/cli/record-writer.ts) calls `replicateRecordNow` the moment a run's record is written,
 * for every runbook, and it sends every other record the bucket still lacks too: a backup whose bucket was down has
 * its record copied by the next run of any runbook, not only by the next drill's `records.replicate` step.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { messageOf } from '../core/errors.js';
import { mapLimited } from '../core/map-limited.js';
import type { Settings } from '../core/settings.js';
import type { S3ClientOptions } from '../s3/client.js';
import { listRecordsDir, SIGNATURE_SUFFIX } from './record-files.js';

export const RECORDS_FOLDER = 'records/';

export interface ReplicateRecordsResult {
  configured: boolean;
  uploaded: string[];
  alreadyThere: number;
  /** Present in the bucket with another size: left alone, reported. */
  differing: string[];
  /** Record files without their signature yet (a run writing right now): left for the next time. */
  unsigned: string[];
}

export interface ReplicateRecordsOptions {
  recordsDir: string;
  signal: AbortSignal;
  /** Only these record files (names in RECORDS_DIR); all when unset. */
  only?: readonly string[];
  /** Client timeouts and attempts (the end of a run must not hang on a bucket that does not answer). */
  client?: S3ClientOptions;
}

/** The S3 modules a replication uses, loaded only when there is a record to copy. */
async function s3Modules() {
  const [client, gate, inspect, objects, upload, facts, region] = await Promise.all([
    import('../s3/client.js'),
    import('../s3/upload-gate.js'),
    import('../s3/inspect.js'),
    import('../s3/objects.js'),
    import('../s3/upload.js'),
    import('../s3/bucket-facts.js'),
    import('../s3/region.js'),
  ]);
  return { ...client, ...gate, ...inspect, ...objects, ...upload, ...facts, ...region };
}

const UPLOADS_AT_ONCE = 8;

/**
 * The files of `wanted` records (each with its signature) that the bucket lacks; notes in `result` the records
 * still unsigned, the files already there and those there with another size.
 */
async function filesToUpload(
  recordsDir: string,
  wanted: readonly string[],
  signatures: ReadonlySet<string>,
  inBucket: ReadonlyMap<string, number>,
  result: ReplicateRecordsResult,
): Promise<string[]> {
  const missing: string[] = [];
  for (const record of wanted) {
    const signature = `${record}${SIGNATURE_SUFFIX}`;
    if (!signatures.has(signature)) {
      result.unsigned.push(record);
      continue;
    }
    for (const file of [record, signature]) {
      const size = (await stat(join(recordsDir, file))).size;
      const there = inBucket.get(`${RECORDS_FOLDER}${file}`);
      if (there === size) result.alreadyThere += 1;
      else if (there !== undefined) result.differing.push(file);
      else missing.push(file);
    }
  }
  return missing;
}

export async function replicateRecords(
  settings: Settings,
  options: ReplicateRecordsOptions,
): Promise<ReplicateRecordsResult> {
  const result: ReplicateRecordsResult = {
    configured: false,
    uploaded: [],
    alreadyThere: 0,
    differing: [],
    unsigned: [],
  };
  if (!settings.get('S3_BUCKET')) return result;
  result.configured = true;
  const { records, signatures } = await listRecordsDir(options.recordsDir);
  const wanted = options.only ? records.filter((file) => options.only?.includes(file)) : records;
  if (wanted.length === 0) return result;

  const [{ s3SettingsFromSettings }, s3] = await Promise.all([import('../s3/settings.js'), s3Modules()]);
  const s3Settings = s3SettingsFromSettings(settings);
  const context = s3.openS3(s3Settings, options.client);
  try {
    // Records name operators and hosts: they go only to a bucket in an allowed region, like the dumps (checked
    // before anything is listed; every upload below passes the same gate). The region the bucket's stored facts
    // hold (read by a full inspection, the replicate step's of this very run for a backup) is the one the bucket
    // preflight trusts too, still judged against today's ALLOWED_DATA_REGIONS; without them it is read now.
    const facts = await s3.readBucketFacts(settings.configDir, s3Settings, new Date());
    if (facts && s3.regionAllowed(facts.region.region, s3Settings.allowedRegions)) {
      s3.rememberRegionAllowed(context, facts.region);
    }
    await s3.assertUploadAllowed(context, options.signal);
    const lockRead = s3.readObjectLock(context, { signal: options.signal });
    const listing = s3.listObjects(context, { under: RECORDS_FOLDER, signal: options.signal });
    listing.catch(() => undefined); // awaited below, after the Object Lock read (whose failure comes first)
    const lock = await lockRead;
    const inBucket = new Map((await listing).map((o) => [o.name, o.size]));
    const missing = await filesToUpload(options.recordsDir, wanted, signatures, inBucket, result);
    // A run's record and its signature go up together (one round trip instead of two), eight files at a time.
    await mapLimited(missing, UPLOADS_AT_ONCE, (file) =>
      s3.uploadFile(context, {
        file: join(options.recordsDir, file),
        name: `${RECORDS_FOLDER}${file}`,
        contentType: file.endsWith(SIGNATURE_SUFFIX) ? 'text/plain' : 'application/json',
        ...(lock.status === 'enabled' ? { objectLock: {} } : {}),
        signal: options.signal,
      }),
    );
    result.uploaded.push(...missing);
  } finally {
    s3.closeS3(context);
  }
  return result;
}

export interface ReplicateNowResult {
  /** False when S3_BUCKET is not set (nothing to do). */
  configured: boolean;
  uploaded: string[];
  /** Why the copy did not happen (the bucket unreachable, a copy that differs): a warning, never an error. */
  problem?: string;
}

/**
 * Copies a record that was just written (and its signature) to the bucket, with every other record the bucket lacks
 * (those of runs whose copy failed). Never throws: a run's outcome does not depend on it, and whatever it could not
 * send goes up with the next run.
 */
export async function replicateRecordNow(
  settings: Settings,
  recordPath: string,
  options: { timeoutMs?: number } = {},
): Promise<ReplicateNowResult> {
  if (!settings.get('S3_BUCKET')) return { configured: false, uploaded: [] };
  const file = basename(recordPath);
  try {
    const result = await replicateRecords(settings, {
      recordsDir: dirname(recordPath),
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      client: { maxAttempts: 2, connectionTimeoutMs: 5_000, socketTimeoutMs: 30_000 },
    });
    const differing = result.differing.filter((f) => f === file || f === `${file}${SIGNATURE_SUFFIX}`);
    const problem =
      differing.length > 0
        ? `the bucket already holds a different ${differing.join(', ')}`
        : result.unsigned.includes(file)
          ? `${file} has no signature yet`
          : undefined;
    return { configured: true, uploaded: result.uploaded, ...(problem ? { problem } : {}) };
  } catch (error) {
    return { configured: true, uploaded: [], problem: messageOf(error) };
  }
}
