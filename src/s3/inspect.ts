/**
 * Preflight and inspection of the bucket: reachable with these credentials, in an allowed region, and what it
 * does with our objects (versioning, lifecycle rules, Object Lock). The three configuration reads never fail the
 * preflight: a provider that does not implement one (s3rver implements none) or credentials without the
 * permission give "unknown" with a note.
 */
import {
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  ListObjectsV2Command,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { isAbortError } from '../core/errors.js';
import type { S3Context } from './client.js';
import { abortErrorOf, httpStatusOf, mapS3Error, s3Call, s3ErrorCode } from './errors.js';
import { readBucketRegion, regionAllowed, type BucketRegion } from './region.js';
import { rememberRegionAllowed } from './upload-gate.js';

export interface VersioningInfo {
  /** `never-enabled`: the bucket has never had versioning (a delete removes the object). */
  status: 'enabled' | 'suspended' | 'never-enabled' | 'unknown';
  mfaDelete?: boolean;
  note?: string;
}

export interface LifecycleRuleSummary {
  id: string;
  enabled: boolean;
  /** The key prefix the rule filters on ('' for the whole bucket). */
  prefix: string;
  /** The rule can touch objects under S3_PREFIX. */
  appliesToPrefix: boolean;
  expirationDays?: number;
  noncurrentExpirationDays?: number;
  abortIncompleteMultipartDays?: number;
  filteredByTagOrSize: boolean;
}

export interface LifecycleInfo {
  status: 'rules' | 'none' | 'unknown';
  rules: LifecycleRuleSummary[];
  note?: string;
}

export interface ObjectLockInfo {
  status: 'enabled' | 'disabled' | 'unknown';
  defaultRetention?: { mode: string; days?: number; years?: number };
  note?: string;
}

export interface BucketInspection {
  bucket: string;
  prefix: string;
  endpoint: string;
  region: BucketRegion;
  regionAllowed: boolean;
  versioning: VersioningInfo;
  lifecycle: LifecycleInfo;
  objectLock: ObjectLockInfo;
  /** What the operator should know, one line each (versioned deletes, unknowns, …). */
  notes: string[];
}

interface SignalOption {
  signal?: AbortSignal;
}

/**
 * Lists one key under the prefix: throws the typed unreachable / credentials / no-such-bucket errors. A list,
 * not HeadBucket, because a HEAD answer has no body and so no error code (InvalidAccessKeyId, AccessDenied, …).
 */
export async function checkBucketReachable(context: S3Context, options: SignalOption = {}): Promise<void> {
  const { client, settings } = context;
  await s3Call({ operation: 'reach the bucket', settings, bucketLevel: true }, options.signal, () =>
    client.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: settings.prefix, MaxKeys: 1 }), {
      abortSignal: options.signal,
    }),
  );
}

/**
 * Reading a bucket setting that may be unsupported or forbidden: `absent` codes are a real "not configured"
 * answer; any other failure is "unknown" with a note (checkBucketReachable ran first); only an abort throws.
 */
async function readOptional<T>(
  context: S3Context,
  what: string,
  absentCodes: readonly string[],
  signal: AbortSignal | undefined,
  read: () => Promise<T>,
): Promise<{ value: T } | { absent: true } | { unknown: string }> {
  try {
    return { value: await read() };
  } catch (error) {
    if (signal?.aborted || isAbortError(error)) throw signal ? abortErrorOf(signal) : error;
    const code = s3ErrorCode(error);
    if (code !== undefined && absentCodes.includes(code)) return { absent: true };
    const status = httpStatusOf(error);
    if (code === 'NotImplemented' || status === 501) return { unknown: `${what}: the endpoint does not implement it` };
    if (code === 'AccessDenied' || status === 403) {
      return { unknown: `${what}: the credentials may not read it (${code ?? 'HTTP 403'})` };
    }
    if (status === undefined) {
      return {
        unknown: `${what}: ${mapS3Error(error, { operation: `read ${what}`, settings: context.settings }).message}`,
      };
    }
    return { unknown: `${what}: could not be read (${code ?? 'error'} HTTP ${status})` };
  }
}

export async function readVersioning(context: S3Context, options: SignalOption = {}): Promise<VersioningInfo> {
  const { client, settings } = context;
  const answer = await readOptional(context, 'versioning', [], options.signal, () =>
    client.send(new GetBucketVersioningCommand({ Bucket: settings.bucket }), { abortSignal: options.signal }),
  );
  if ('unknown' in answer) return { status: 'unknown', note: answer.unknown };
  if ('absent' in answer) return { status: 'never-enabled' };
  const { Status, MFADelete } = answer.value;
  const status = Status === 'Enabled' ? 'enabled' : Status === 'Suspended' ? 'suspended' : 'never-enabled';
  return MFADelete === undefined ? { status } : { status, mfaDelete: MFADelete === 'Enabled' };
}

function rulePrefix(rule: LifecycleRule): string {
  return rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix ?? rule.Prefix ?? '';
}

function summarizeRule(rule: LifecycleRule, prefix: string): LifecycleRuleSummary {
  const p = rulePrefix(rule);
  const summary: LifecycleRuleSummary = {
    id: rule.ID ?? '(unnamed)',
    enabled: rule.Status === 'Enabled',
    prefix: p,
    appliesToPrefix: prefix.startsWith(p) || p.startsWith(prefix),
    filteredByTagOrSize: Boolean(
      rule.Filter?.Tag ||
      rule.Filter?.ObjectSizeGreaterThan !== undefined ||
      rule.Filter?.ObjectSizeLessThan !== undefined ||
      rule.Filter?.And?.Tags?.length ||
      rule.Filter?.And?.ObjectSizeGreaterThan !== undefined ||
      rule.Filter?.And?.ObjectSizeLessThan !== undefined,
    ),
  };
  if (rule.Expiration?.Days !== undefined) summary.expirationDays = rule.Expiration.Days;
  if (rule.NoncurrentVersionExpiration?.NoncurrentDays !== undefined) {
    summary.noncurrentExpirationDays = rule.NoncurrentVersionExpiration.NoncurrentDays;
  }
  if (rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined) {
    summary.abortIncompleteMultipartDays = rule.AbortIncompleteMultipartUpload.DaysAfterInitiation;
  }
  return summary;
}

export async function readLifecycle(context: S3Context, options: SignalOption = {}): Promise<LifecycleInfo> {
  const { client, settings } = context;
  const answer = await readOptional(context, 'lifecycle rules', ['NoSuchLifecycleConfiguration'], options.signal, () =>
    client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: settings.bucket }), {
      abortSignal: options.signal,
    }),
  );
  if ('unknown' in answer) return { status: 'unknown', rules: [], note: answer.unknown };
  if ('absent' in answer) return { status: 'none', rules: [] };
  const rules = (answer.value.Rules ?? []).map((rule) => summarizeRule(rule, settings.prefix));
  return { status: rules.length > 0 ? 'rules' : 'none', rules };
}

export async function readObjectLock(context: S3Context, options: SignalOption = {}): Promise<ObjectLockInfo> {
  const { client, settings } = context;
  const answer = await readOptional(
    context,
    'Object Lock configuration',
    ['ObjectLockConfigurationNotFoundError'],
    options.signal,
    () =>
      client.send(new GetObjectLockConfigurationCommand({ Bucket: settings.bucket }), { abortSignal: options.signal }),
  );
  if ('unknown' in answer) return { status: 'unknown', note: answer.unknown };
  if ('absent' in answer) return { status: 'disabled' };
  const configuration = answer.value.ObjectLockConfiguration;
  if (configuration?.ObjectLockEnabled !== 'Enabled') return { status: 'disabled' };
  const retention = configuration.Rule?.DefaultRetention;
  const info: ObjectLockInfo = { status: 'enabled' };
  if (retention?.Mode) {
    info.defaultRetention = { mode: retention.Mode };
    if (retention.Days !== undefined) info.defaultRetention.days = retention.Days;
    if (retention.Years !== undefined) info.defaultRetention.years = retention.Years;
  }
  return info;
}

export interface InspectOptions extends SignalOption {
  /** Throw RegionNotAllowedError when the region is not allowed (default true). */
  enforceRegion?: boolean;
}

/** The preflight of every runbook that touches the bucket. */
export async function inspectBucket(context: S3Context, options: InspectOptions = {}): Promise<BucketInspection> {
  const { settings } = context;
  const { signal } = options;
  await checkBucketReachable(context, { signal });
  const region = await readBucketRegion(context, { signal });
  if (options.enforceRegion !== false) rememberRegionAllowed(context, region);
  // Three independent reads at once (one round trip's wait instead of three), awaited in order so that a failure
  // is the first failing read in this order, as when they ran one after the other.
  const versioningRead = readVersioning(context, { signal });
  const lifecycleRead = readLifecycle(context, { signal });
  const objectLockRead = readObjectLock(context, { signal });
  for (const read of [lifecycleRead, objectLockRead]) read.catch(() => undefined); // awaited below
  const versioning = await versioningRead;
  const lifecycle = await lifecycleRead;
  const objectLock = await objectLockRead;
  return inspectionFromFacts(settings, { region, versioning, lifecycle, objectLock });
}

/** An inspection made of configuration facts read earlier (bucket-facts.ts); the caller checked reachability. */
export function inspectionFromFacts(
  settings: S3Context['settings'],
  facts: Pick<BucketInspection, 'region' | 'versioning' | 'lifecycle' | 'objectLock'>,
): BucketInspection {
  const { region, versioning, lifecycle, objectLock } = facts;
  const inspection: BucketInspection = {
    bucket: settings.bucket,
    prefix: settings.prefix,
    endpoint: settings.endpoint ?? `AWS S3 (${settings.region})`,
    region,
    regionAllowed: regionAllowed(region.region, settings.allowedRegions),
    versioning,
    lifecycle,
    objectLock,
    notes: [],
  };
  inspection.notes = notesOf(inspection);
  return inspection;
}

function notesOf(inspection: BucketInspection): string[] {
  const { region, versioning, lifecycle, objectLock } = inspection;
  const notes: string[] = [];
  if (region.note) notes.push(`region: ${region.note}`);
  for (const note of [versioning.note, lifecycle.note, objectLock.note]) if (note) notes.push(note);
  if (versioning.status === 'enabled' || versioning.status === 'suspended') {
    notes.push(
      'the bucket is versioned: a delete only adds a delete marker, earlier versions stay until a ' +
        'lifecycle rule expires noncurrent versions',
    );
    const expiresNoncurrent = lifecycle.rules.some(
      (r) => r.enabled && r.appliesToPrefix && r.noncurrentExpirationDays !== undefined,
    );
    if (lifecycle.status !== 'unknown' && !expiresNoncurrent) {
      notes.push(
        'no lifecycle rule expires noncurrent versions under the prefix: deleted dumps are kept ' +
          'forever (GDPR retention)',
      );
    }
  }
  if (objectLock.status === 'enabled') {
    notes.push(
      'Object Lock is enabled: every upload carries a checksum, and locked objects cannot be ' +
        'deleted before their retention ends',
    );
  }
  return notes;
}
