/**
 * Retention against the real places: read BACKUP_DIR, the bucket and the holds, decide (retention.ts), show
 * the decision, and prune. Nothing is pruned anywhere while a hold is active, or while the bucket (and so a hold
 * placed from another host) cannot be read.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAbortError, StepFailedError, messageOf } from '../core/errors.js';
import type { S3Context } from '../s3/client.js';
import type { LifecycleInfo, LifecycleRuleSummary, ObjectLockInfo, VersioningInfo } from '../s3/inspect.js';
import { hostname } from 'node:os';
import { bucketInventory, manifestsByStamp } from './bucket-inventory.js';
import { activeHold, describeHold, readBucketHold, readLocalHold, type Hold, type HoldState } from './hold.js';
import { formatBytes } from '../core/format.js';
import { classifyName, localInventory, type Inventory } from './inventory.js';
import {
  erasureWindow,
  planLines,
  planLocation,
  prunable,
  type BucketBehaviour,
  type ErasureWindow,
  type LocationPlan,
  type RetentionPolicy,
} from './retention.js';

export interface RetentionTarget {
  backupDir: string;
  /** Undefined when no bucket is configured (S3_BUCKET unset). */
  s3?: S3Context;
  policy: RetentionPolicy;
  signal?: AbortSignal;
}

export interface RetentionSurvey {
  local: Inventory;
  localPlan: LocationPlan;
  bucket?: Inventory;
  bucketPlan?: LocationPlan;
  /** The bucket could not be read: no bucket plan, and no hold there can be ruled out. */
  bucketError?: Error;
  hold: HoldState;
  versioning?: VersioningInfo;
  lifecycle?: LifecycleInfo;
  objectLock?: ObjectLockInfo;
  /** s3://bucket/prefix, endpoint and region as configured; the regions allowed. */
  bucketWhere?: { where: string; region: string; allowedRegions: string[] };
  policy: RetentionPolicy;
}

export async function surveyRetention(target: RetentionTarget): Promise<RetentionSurvey> {
  const local = await localInventory(target.backupDir);
  const survey: RetentionSurvey = {
    local,
    localPlan: planLocation(local, target.policy),
    hold: {},
    policy: target.policy,
  };
  const localHold = await readLocalHold(target.backupDir);
  if (localHold) survey.hold.local = localHold;
  if (!target.s3) return survey;
  try {
    const { readLifecycle, readObjectLock, readVersioning } = await import('../s3/inspect.js');
    const { s3, signal } = target;
    // Independent reads, all at once; awaited in this order (the first failure in it is the one reported).
    const holdRead = readBucketHold(s3, signal);
    const inventoryRead = bucketInventory(s3, { signal, localManifests: manifestsByStamp(local) });
    const versioningRead = readVersioning(s3, { signal });
    const lifecycleRead = readLifecycle(s3, { signal });
    const objectLockRead = readObjectLock(s3, { signal });
    for (const read of [inventoryRead, versioningRead, lifecycleRead, objectLockRead]) read.catch(() => undefined);
    const bucketHold = await holdRead;
    if (bucketHold) survey.hold.bucket = bucketHold;
    survey.bucket = await inventoryRead;
    survey.bucketPlan = planLocation(survey.bucket, target.policy);
    survey.versioning = await versioningRead;
    survey.lifecycle = await lifecycleRead;
    survey.objectLock = await objectLockRead;
    const settings = target.s3.settings;
    survey.bucketWhere = {
      where: survey.bucket.where,
      region: settings.region,
      allowedRegions: settings.allowedRegions,
    };
  } catch (error) {
    if (isAbortError(error) || target.signal?.aborted) throw error;
    survey.bucketError = error instanceof Error ? error : new Error(String(error));
  }
  return survey;
}

/** "expire after 14d, noncurrent after 1d" for one lifecycle rule ('' when it expires nothing). */
function ruleExpiry(rule: LifecycleRuleSummary): string {
  const parts = [
    rule.expirationDays !== undefined ? `expire after ${rule.expirationDays}d` : '',
    rule.noncurrentExpirationDays !== undefined ? `noncurrent after ${rule.noncurrentExpirationDays}d` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** The bucket's notes as sentences after the GDPR paragraph's text ('' when there are none). */
function bucketSentences(notes: readonly string[]): string {
  if (notes.length === 0) return '';
  return ` ${notes.map((n) => `${n[0]?.toUpperCase()}${n.slice(1)}`).join('. ')}.`;
}

/** The report: holds, every backup with its verdict, and what deleting in this bucket means. */
export function surveyLines(survey: RetentionSurvey, now: Date): string[] {
  const lines: string[] = [];
  const hold = activeHold(survey.hold);
  if (survey.hold.local) lines.push(`${describeHold(survey.hold.local)} (local ${survey.local.where})`);
  if (survey.hold.bucket) lines.push(`${describeHold(survey.hold.bucket)} (bucket)`);
  if (hold)
    lines.push('nothing is pruned while the hold is active (release it with the retention runbook, mode release)');
  if (survey.local.missing) lines.push(`local  BACKUP_DIR ${survey.local.where} does not exist`);
  else lines.push(...planLines(survey.localPlan, now));
  if (survey.bucketError) lines.push(`bucket unreachable: ${messageOf(survey.bucketError)}`);
  else if (survey.bucketPlan) lines.push(...planLines(survey.bucketPlan, now));
  else lines.push('bucket not configured (S3_BUCKET is unset): local only');
  const behaviour = bucketBehaviour(survey);
  if (behaviour) {
    const lock =
      behaviour.objectLockDays !== undefined
        ? `enabled (${behaviour.objectLockMode ?? '?'}, ${behaviour.objectLockDays} days)`
        : (survey.objectLock?.status ?? 'unknown');
    const rules = (survey.lifecycle?.rules ?? [])
      .filter((r) => r.enabled && r.appliesToPrefix)
      .map((r) => `${r.id}: ${ruleExpiry(r) || 'no expiry'}`);
    const lifecycle =
      survey.lifecycle?.status === 'rules'
        ? rules.join('; ') || 'rules, none on our prefix'
        : (survey.lifecycle?.status ?? 'unknown');
    lines.push(`bucket configuration: versioning ${behaviour.versioning}; Object Lock ${lock}; lifecycle ${lifecycle}`);
    if (behaviour.versioning === 'enabled' || behaviour.versioning === 'suspended')
      lines.push(
        'the bucket is versioned: a prune there only adds delete markers; the data stays as ' +
          'noncurrent versions until a lifecycle rule expires them',
      );
  }
  lines.push(...nextPruneLines(survey));
  lines.push('', ...gdprParagraph(survey));
  return lines;
}

/** The bucket's own effect on deletions, from what the survey read (undefined without a bucket). */
export function bucketBehaviour(survey: RetentionSurvey): BucketBehaviour | undefined {
  if (!survey.bucketPlan) return undefined;
  const behaviour: BucketBehaviour = { versioning: survey.versioning?.status ?? 'unknown' };
  const rules = (survey.lifecycle?.rules ?? []).filter((r) => r.enabled && r.appliesToPrefix && !r.filteredByTagOrSize);
  const noncurrent = rules.map((r) => r.noncurrentExpirationDays).filter((d): d is number => d !== undefined);
  if (noncurrent.length > 0) behaviour.noncurrentExpirationDays = Math.max(...noncurrent);
  const current = rules.map((r) => r.expirationDays).filter((d): d is number => d !== undefined);
  if (current.length > 0) behaviour.currentExpirationDays = Math.min(...current);
  const retention = survey.objectLock?.defaultRetention;
  if (survey.objectLock?.status === 'enabled' && retention) {
    behaviour.objectLockDays = (retention.days ?? 0) + (retention.years ?? 0) * 365;
    behaviour.objectLockMode = retention.mode;
  }
  if (survey.lifecycle?.status === 'unknown') behaviour.lifecycleUnknown = true;
  if (survey.objectLock?.status === 'unknown') behaviour.objectLockUnknown = true;
  return behaviour;
}

/** What the next prune removes, in each place, with the bytes it frees. */
export function nextPruneLines(survey: RetentionSurvey): string[] {
  const lines: string[] = [];
  for (const plan of [survey.localPlan, survey.bucketPlan]) {
    if (!plan) continue;
    const gone = prunable(plan);
    const bytes = gone.backups.reduce((sum, d) => sum + d.size, 0);
    const stale = gone.partials.length > 0 ? `, ${gone.partials.length} stale partial file(s)` : '';
    const next = plan.backups
      .filter((d) => d.verdict === 'keep' && d.keepUntil)
      .sort((a, b) => (a.keepUntil as Date).getTime() - (b.keepUntil as Date).getTime())[0];
    lines.push(
      `next prune, ${plan.location}: ${gone.backups.length} of ${plan.backups.length} ` +
        `backup(s), ${formatBytes(bytes)}${stale}` +
        `${next ? `; after that, ${next.names[0] ?? next.stamp} on ${(next.keepUntil as Date).toISOString()}` : ''}`,
    );
  }
  return lines;
}

export function surveyErasureWindow(survey: RetentionSurvey): ErasureWindow {
  return erasureWindow(
    [survey.localPlan, ...(survey.bucketPlan ? [survey.bucketPlan] : [])],
    survey.policy,
    bucketBehaviour(survey),
  );
}

/** A paragraph for the record of processing activities (GDPR Art. 30): how long, where, encrypted how. */
export function gdprParagraph(survey: RetentionSurvey): string[] {
  const window = surveyErasureWindow(survey);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const copies = [...survey.localPlan.backups, ...(survey.bucketPlan?.backups ?? [])].filter(
    (d) => d.verdict === 'keep',
  );
  const all = copies.filter((d, i) => copies.findIndex((o) => o.stamp === d.stamp) === i);
  const age = all.filter((d) => d.encryption === 'age').length;
  const plain = all.filter((d) => d.encryption === 'none').length;
  const recipients = new Set(all.flatMap((d) => d.recipients ?? []));
  const eras = [...new Set(all.flatMap((d) => d.eras))];
  const how = window.until ? `until ${day(window.until)} at the latest` : 'without a time limit (see the bucket note)';
  const pins =
    window.pinnedUntil && window.pinnedPastWindow > 0
      ? `, and ${window.pinnedPastWindow} backup(s) pinned beyond it keep theirs until ${day(window.pinnedUntil)}`
      : '';
  const places = [`on ${hostname()} in ${survey.local.where}`];
  if (survey.bucketWhere)
    places.push(
      `in the bucket ${survey.bucketWhere.where} (region ${survey.bucketWhere.region}; regions ` +
        `allowed: ${survey.bucketWhere.allowedRegions.join(', ')})`,
    );
  return [
    'GDPR (record of processing, backups):',
    `Personal data erased from Obexal today (${day(window.from)}) can remain in its database ` +
      `backups ${how}: every backup is kept ${survey.policy.retentionDays} days ` +
      `(RETENTION_DAYS)${pins}; the prune runs with the daily backup job (add up to a day).` +
      bucketSentences(window.bucketNotes),
    `Where: ${places.join(', and ')}.`,
    `Encrypted how: ${age} of the ${all.length} backup(s) kept (${copies.length} copies) are ` +
      `encrypted with age (X25519 recipients, ChaCha20-Poly1305) to ${recipients.size} recipient ` +
      `key(s) whose identity is held in the vault, never on the backup host` +
      (`${plain > 0 ? `; ${plain} are NOT encrypted (BACKUP_ENCRYPTION=none)` : ''}. Inside them, ` +
        `TOTP secrets, OIDC signing keys and webhook secrets are also encrypted (AES-256-GCM) under ` +
        `ENCRYPTION_KEY${eras.length > 0 ? ` (key eras ${eras.join(', ')})` : ''}, whose keys are kept ` +
        `in the vault apart from the dumps.`),
    'A restore of a backup brings erased accounts back: the restore lists them for erasure again.',
  ];
}

export interface PruneResult {
  held?: Hold;
  local: string[];
  bucket: string[];
  bytes: number;
  notes: string[];
}

async function pruneLocal(
  survey: RetentionSurvey,
  target: RetentionTarget,
  output: (line: string) => void,
  result: PruneResult,
): Promise<void> {
  const local = prunable(survey.localPlan);
  for (const decision of local.backups) {
    for (const name of decision.names) {
      await removeOurs(target.backupDir, name);
      result.local.push(name);
      output(`pruned local ${name}`);
    }
    result.bytes += decision.size;
  }
  for (const partial of local.partials) {
    await removeOurs(target.backupDir, partial.name);
    result.local.push(partial.name);
    output(`removed stale local ${partial.name}`);
  }
}

async function pruneBucket(
  plan: LocationPlan,
  s3: S3Context,
  survey: RetentionSurvey,
  target: RetentionTarget,
  output: (line: string) => void,
  result: PruneResult,
): Promise<void> {
  const { deleteObjects } = await import('../s3/objects.js');
  const bucket = prunable(plan);
  let markersOnly = false;
  for (const decision of bucket.backups) {
    const names = decision.names.filter((name) => classifyName(name).kind !== 'foreign');
    const deleted = await deleteObjects(s3, names, {
      signal: target.signal,
      ...(survey.versioning ? { versioning: survey.versioning } : {}),
    });
    markersOnly ||= deleted.versioned;
    for (const name of names) {
      result.bucket.push(name);
      output(`pruned bucket ${name}${deleted.versioned ? ' (delete marker)' : ''}`);
    }
  }
  const partialNames = bucket.partials.map((p) => p.name);
  if (partialNames.length > 0) {
    await deleteObjects(s3, partialNames, { signal: target.signal });
    result.bucket.push(...partialNames);
  }
  if (markersOnly) {
    result.notes.push(
      'the bucket is versioned: the deletes only added delete markers; the data stays until a ' +
        'lifecycle rule expires noncurrent versions',
    );
  }
}

/** Prunes what the survey decided. Call under the maintenance lock, right after the survey. */
export async function pruneSurvey(
  survey: RetentionSurvey,
  target: RetentionTarget,
  output: (line: string) => void,
): Promise<PruneResult> {
  const result: PruneResult = { local: [], bucket: [], bytes: 0, notes: [] };
  const hold = activeHold(survey.hold);
  if (hold) {
    result.held = hold;
    return result;
  }
  if (survey.bucketError) {
    throw new StepFailedError(
      `nothing was pruned, locally or in the bucket: the bucket could not be read ` +
        `(${messageOf(survey.bucketError)}), so a retention hold placed there cannot be ruled out`,
      (survey.bucketError as { hint?: string }).hint ?? 'fix the bucket access and run retention again',
      survey.bucketError,
    );
  }
  await pruneLocal(survey, target, output, result);
  if (survey.bucketPlan && target.s3) await pruneBucket(survey.bucketPlan, target.s3, survey, target, output, result);
  return result;
}

/** Deletes one of our files in BACKUP_DIR; refuses any other name (belt and braces: the plan lists only ours). */
async function removeOurs(backupDir: string, name: string): Promise<void> {
  if (classifyName(name).kind === 'foreign' || name.includes('/')) {
    throw new StepFailedError(
      `refusing to delete ${name}: not a file of ours`,
      'this is a bug: report it with the run id',
    );
  }
  try {
    await rm(join(backupDir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StepFailedError(
      `cannot delete ${join(backupDir, name)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      'check the permissions of BACKUP_DIR; nothing after this file was pruned',
      error,
    );
  }
}
