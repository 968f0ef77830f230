/**
 * What a full bucket inspection read about the bucket's configuration (region, versioning, lifecycle rules, Object
 * Lock), kept in the tool's folder (`<config dir>/bucket-facts.json`, 0600) so that the next backup's bucket
 * preflight need not read it again. Only the preflight's report and its region check use these facts: every write
 * decision is taken on fresh reads (the dump step reads Object Lock, the replicate step inspects the bucket in full
 * and stores what it read here, each upload's region gate reads the location). A missing, unreadable, foreign or
 * expired file is simply not used.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { BucketInspection, LifecycleInfo, ObjectLockInfo, VersioningInfo } from './inspect.js';
import type { BucketRegion } from './region.js';
import type { S3Settings } from './settings.js';

export const BUCKET_FACTS_FILE = 'bucket-facts.json';
/** A weekly schedule still finds the previous run's facts; a daily one always does. */
export const BUCKET_FACTS_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export interface BucketFacts {
  /** ISO time of the reads. */
  readAt: string;
  region: BucketRegion;
  versioning: VersioningInfo;
  lifecycle: LifecycleInfo;
  objectLock: ObjectLockInfo;
}

const FactsSchema = z.object({
  readAt: z.string(),
  region: z.object({ region: z.string(), source: z.enum(['bucket', 'configured']), note: z.string().optional() }),
  versioning: z.object({
    status: z.enum(['enabled', 'suspended', 'never-enabled', 'unknown']),
    mfaDelete: z.boolean().optional(),
    note: z.string().optional(),
  }),
  lifecycle: z.object({
    status: z.enum(['rules', 'none', 'unknown']),
    rules: z.array(
      z.object({
        id: z.string(),
        enabled: z.boolean(),
        prefix: z.string(),
        appliesToPrefix: z.boolean(),
        expirationDays: z.number().optional(),
        noncurrentExpirationDays: z.number().optional(),
        abortIncompleteMultipartDays: z.number().optional(),
        filteredByTagOrSize: z.boolean(),
      }),
    ),
    note: z.string().optional(),
  }),
  objectLock: z.object({
    status: z.enum(['enabled', 'disabled', 'unknown']),
    defaultRetention: z
      .object({ mode: z.string(), days: z.number().optional(), years: z.number().optional() })
      .optional(),
    note: z.string().optional(),
  }),
});
const FileSchema = z.object({ version: z.literal(1), buckets: z.record(z.string(), FactsSchema) });
type FactsFile = z.infer<typeof FileSchema>;

/** The bucket as addressed: another endpoint, bucket or prefix is another entry (lifecycle rules depend on it). */
export function bucketFactsKey(settings: S3Settings): string {
  return `${settings.endpoint ?? `aws:${settings.region}`} ${settings.bucket} ${settings.prefix}`;
}

export function bucketFactsPath(configDir: string): string {
  return join(configDir, BUCKET_FACTS_FILE);
}

export function factsOf(
  inspection: Pick<BucketInspection, 'region' | 'versioning' | 'lifecycle' | 'objectLock'>,
  readAt: Date,
): BucketFacts {
  const { region, versioning, lifecycle, objectLock } = inspection;
  return { readAt: readAt.toISOString(), region, versioning, lifecycle, objectLock };
}

async function readFactsFile(file: string): Promise<FactsFile | undefined> {
  try {
    const parsed = FileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // absent or not JSON: the facts are read from the bucket instead
  }
}

/** The stored facts of this bucket when read less than `maxAgeMs` ago (and not in the future). */
export async function readBucketFacts(
  configDir: string,
  settings: S3Settings,
  now: Date,
  maxAgeMs = BUCKET_FACTS_MAX_AGE_MS,
): Promise<BucketFacts | undefined> {
  const facts = (await readFactsFile(bucketFactsPath(configDir)))?.buckets[bucketFactsKey(settings)];
  if (!facts) return undefined;
  const age = now.getTime() - Date.parse(facts.readAt);
  return Number.isFinite(age) && age >= 0 && age < maxAgeMs ? (facts as BucketFacts) : undefined;
}

async function writeFactsFile(configDir: string, change: (file: FactsFile) => void): Promise<void> {
  const file = bucketFactsPath(configDir);
  const current = (await readFactsFile(file)) ?? { version: 1 as const, buckets: {} };
  change(current);
  try {
    await mkdir(configDir, { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, `${JSON.stringify(current, null, 2)}\n`, { mode: 0o600 });
    await rename(partial, file);
  } catch {
    // A cache only: without it the next preflight reads the bucket's configuration again.
  }
}

export function storeBucketFacts(configDir: string, settings: S3Settings, facts: BucketFacts): Promise<void> {
  return writeFactsFile(configDir, (file) => {
    file.buckets[bucketFactsKey(settings)] = facts;
  });
}

/** Drops this bucket's facts (the bucket did not answer as before): the next preflight reads them afresh. */
export async function forgetBucketFacts(configDir: string, settings: S3Settings): Promise<void> {
  const key = bucketFactsKey(settings);
  const file = await readFactsFile(bucketFactsPath(configDir));
  if (!file || !(key in file.buckets)) return;
  if (Object.keys(file.buckets).length === 1) {
    await rm(bucketFactsPath(configDir), { force: true });
    return;
  }
  await writeFactsFile(configDir, (f) => {
    delete f.buckets[key];
  });
}
