/**
 * `records verify` against the bucket's copies (`<S3_PREFIX>records/`). A hash chain cannot show that its newest
 * records were deleted: the copy in the bucket can. Every record present on one side only, or different on the
 * two, is named. Records in the bucket signed by a key with no chain here (another host sharing the prefix) are
 * counted, not compared.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { messageOf } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import type { S3Context } from '../s3/client.js';
import type { ObjectInfo } from '../s3/objects.js';
import { listRecordsDir, previousLink, SIGNATURE_SUFFIX } from './record-files.js';
import { RECORDS_FOLDER } from './replicate.js';
import { fingerprint, parsePublicKeyLine } from './ssh-keys.js';
import { RECORD_NAMESPACE, verifySshsig } from './sshsig.js';
import type { RecordProblem, TimingRecord } from './types.js';

export interface BucketComparison {
  state: 'compared' | 'not-configured' | 'unreachable';
  /** s3://bucket/prefix/records/ (and the endpoint, when not AWS) */
  where?: string;
  /** s3://bucket/prefix/records/ alone, for an `aws s3 cp` line. */
  url?: string;
  error?: string;
  /** Record files (not signatures) in the bucket. */
  inBucket: number;
  problems: RecordProblem[];
  /** Bucket-only records of signers that have no chain here. */
  otherSigners: number;
}

export interface CompareOptions {
  recordsDir: string;
  settings: Settings;
  /** Fingerprints of the signers whose chains are here (and this host's key): their records must be on both sides. */
  ourSigners: ReadonlySet<string>;
  /** The newest local record of each chain, by signer fingerprint. */
  heads: ReadonlyMap<string, string>;
  signal?: AbortSignal;
}

const CHANGED = 'one of the two was changed after it was written';
const NOT_COPIED =
  'its copy failed when it was written (the next run of any runbook copies it), or it was deleted from the bucket';
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

type Signal = AbortSignal | undefined;

async function bytesOf(context: S3Context, name: string, signal: Signal): Promise<Buffer> {
  const { openObjectStream } = await import('../s3/download.js');
  const stream = await openObjectStream(context, name, { signal });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream.body as Readable) {
    size += (chunk as Buffer).length;
    if (size > MAX_RECORD_BYTES) {
      stream.body.destroy();
      throw new Error(`${name} is larger than any record (over ${MAX_RECORD_BYTES} bytes)`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Same bytes? The ETag of a plain upload is the MD5; anything else (multipart, SSE-KMS) is settled by reading. */
async function sameContent(context: S3Context, object: ObjectInfo, local: Buffer, signal: Signal): Promise<boolean> {
  const md5 = createHash('md5').update(local).digest('hex');
  if (object.etag?.replace(/"/g, '').toLowerCase() === md5) return true;
  return (await bytesOf(context, object.name, signal)).equals(local);
}

function parseRecord(bytes: Buffer): TimingRecord | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as TimingRecord) : undefined;
  } catch {
    return undefined;
  }
}

function signerOf(record: TimingRecord | undefined): string | undefined {
  const line = (record?.signer as { publicKey?: unknown } | undefined)?.publicKey;
  try {
    return typeof line === 'string' ? fingerprint(parsePublicKeyLine(line).publicKey) : undefined;
  } catch {
    return undefined;
  }
}

interface BucketOnly {
  file: string;
  record: TimingRecord | undefined;
  signature: string;
}

/** Where a record missing here sits: at the cut end of a local chain, after another missing one, or elsewhere. */
function describeBucketOnly(entry: BucketOnly, options: CompareOptions, missingHere: ReadonlySet<string>): string {
  const previous = previousLink(entry.record)?.file;
  const signer = signerOf(entry.record);
  const head = signer ? options.heads.get(signer) : undefined;
  const place =
    previous !== undefined && previous === head
      ? `it follows ${previous}, the newest record here of its signer: the end of the local chain was cut off`
      : previous !== undefined && missingHere.has(previous)
        ? `it follows ${previous}, which is missing here too`
        : 'it was deleted from RECORDS_DIR (or never written there)';
  return `in the bucket but not in ${options.recordsDir}: ${place}; the bucket's signature ${entry.signature}`;
}

/** Whether the bucket's own signature of a record that exists only there holds. */
async function signatureState(
  context: S3Context,
  file: string,
  bytes: Buffer,
  names: ReadonlySet<string>,
  signal: Signal,
): Promise<string> {
  const sigName = `${RECORDS_FOLDER}${file}${SIGNATURE_SUFFIX}`;
  if (!names.has(sigName)) return 'is missing';
  const armored = (await bytesOf(context, sigName, signal)).toString('utf8');
  const result = verifySshsig(bytes, armored, RECORD_NAMESPACE);
  return result.ok ? `is good (by ${fingerprint(result.publicKey)})` : `is BAD: ${result.reason}`;
}

async function compareWith(context: S3Context, options: CompareOptions, result: BucketComparison): Promise<void> {
  const { listObjects } = await import('../s3/objects.js');
  const { signal } = options;
  const listed = await listObjects(context, { under: RECORDS_FOLDER, signal });
  const objects = listed.filter((o) => !o.name.slice(RECORDS_FOLDER.length).includes('/'));
  const remote = new Map(objects.map((o) => [o.name, o]));
  const names = new Set(remote.keys());
  const local = await listRecordsDir(options.recordsDir);
  const localFiles = new Set([...local.records, ...local.signatures]);
  const report = (file: string, kind: RecordProblem['kind'], problem: string) => {
    result.problems.push({ file, kind, problem });
  };

  // Unsigned records (a run writing right now) and orphan signatures are verify's own findings, not the copy's.
  const signed = local.records.filter((record) => local.signatures.has(`${record}${SIGNATURE_SUFFIX}`));
  for (const file of signed.flatMap((record) => [record, `${record}${SIGNATURE_SUFFIX}`])) {
    const object = remote.get(`${RECORDS_FOLDER}${file}`);
    const bytes = await readFile(join(options.recordsDir, file));
    if (!object) {
      report(file, 'missing-in-bucket', `not in ${result.where}: ${NOT_COPIED}`);
    } else if (object.size !== bytes.length) {
      const sizes = `the bucket's copy has ${object.size} bytes, this one ${bytes.length}`;
      report(file, 'differs-from-bucket', `${sizes}: ${CHANGED}`);
    } else if (!(await sameContent(context, object, bytes, signal))) {
      report(file, 'differs-from-bucket', `the bucket's copy has other bytes of the same length: ${CHANGED}`);
    }
  }

  const bucketOnly: BucketOnly[] = [];
  for (const object of objects) {
    const file = object.name.slice(RECORDS_FOLDER.length);
    if (!file.endsWith('.json')) continue;
    result.inBucket += 1;
    if (localFiles.has(file)) continue;
    const bytes = await bytesOf(context, object.name, signal);
    const record = parseRecord(bytes);
    const signer = signerOf(record);
    if (signer !== undefined && !options.ourSigners.has(signer)) {
      result.otherSigners += 1;
      continue;
    }
    bucketOnly.push({ file, record, signature: await signatureState(context, file, bytes, names, signal) });
  }
  const missingHere = new Set(bucketOnly.map((entry) => entry.file));
  for (const entry of bucketOnly) report(entry.file, 'only-in-bucket', describeBucketOnly(entry, options, missingHere));
}

export async function compareWithBucket(options: CompareOptions): Promise<BucketComparison> {
  const result: BucketComparison = { state: 'not-configured', inBucket: 0, problems: [], otherSigners: 0 };
  if (!options.settings.get('S3_BUCKET')) return result;
  const { s3SettingsFromSettings, describeLocation } = await import('../s3/settings.js');
  const { openS3, closeS3 } = await import('../s3/client.js');
  let context: S3Context | undefined;
  try {
    const s3 = s3SettingsFromSettings(options.settings);
    result.where = describeLocation(s3, RECORDS_FOLDER);
    result.url = `s3://${s3.bucket}/${s3.prefix}${RECORDS_FOLDER}`;
    context = openS3(s3, { maxAttempts: 2, connectionTimeoutMs: 5_000, socketTimeoutMs: 30_000 });
    await compareWith(context, options, result);
    result.state = 'compared';
  } catch (error) {
    result.state = 'unreachable';
    result.error = messageOf(error);
    result.problems = [];
  } finally {
    if (context) closeS3(context);
  }
  return result;
}
