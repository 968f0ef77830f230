/**
 * Retention against the real places: read BACKUP_DIR, the bucket and the holds, decide (retention.ts), show
 * the decision, and prune. Nothing is pruned anywhere while a hold is active, or while the bucket (and so a hold
 * placed from another host) cannot be read.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAbortError, StepFailedError, messageOf } from '../core/errors.js';
import type { S3Context } from '../s3/client.js';
import type { VersioningInfo } from '../s3/inspect.js';
import { bucketInventory, manifestsByStamp } from './bucket-inventory.js';
import { activeHold, describeHold, readBucketHold, readLocalHold, type Hold, type HoldState } from './hold.js';
import { classifyName, localInventory, type Inventory } from './inventory.js';
import { planLines, planLocation, prunable, type LocationPlan, type RetentionPolicy } from './retention.js';

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
}

export async function surveyRetention(target: RetentionTarget): Promise<RetentionSurvey> {
  const local = await localInventory(target.backupDir);
  const survey: RetentionSurvey = { local, localPlan: planLocation(local, target.policy), hold: {} };
  const localHold = await readLocalHold(target.backupDir);
  if (localHold) survey.hold.local = localHold;
  if (!target.s3) return survey;
  try {
    const { readVersioning } = await import('../s3/inspect.js');
    const bucketHold = await readBucketHold(target.s3, target.signal);
    if (bucketHold) survey.hold.bucket = bucketHold;
    survey.bucket = await bucketInventory(target.s3, { signal: target.signal, localManifests: manifestsByStamp(local) });
    survey.bucketPlan = planLocation(survey.bucket, target.policy);
    survey.versioning = await readVersioning(target.s3, { signal: target.signal });
  } catch (error) {
    if (isAbortError(error) || target.signal?.aborted) throw error;
    survey.bucketError = error instanceof Error ? error : new Error(String(error));
  }
  return survey;
}

/** The report: holds, every backup with its verdict, and what deleting in this bucket means. */
export function surveyLines(survey: RetentionSurvey, now: Date): string[] {
  const lines: string[] = [];
  const hold = activeHold(survey.hold);
  if (survey.hold.local) lines.push(`${describeHold(survey.hold.local)} (local ${survey.local.where})`);
  if (survey.hold.bucket) lines.push(`${describeHold(survey.hold.bucket)} (bucket)`);
  if (hold) lines.push('nothing is pruned while the hold is active (release it with the retention runbook, mode release)');
  if (survey.local.missing) lines.push(`local  BACKUP_DIR ${survey.local.where} does not exist`);
  else lines.push(...planLines(survey.localPlan, now));
  if (survey.bucketError) lines.push(`bucket unreachable: ${messageOf(survey.bucketError)}`);
  else if (survey.bucketPlan) lines.push(...planLines(survey.bucketPlan, now));
  else lines.push('bucket not configured (S3_BUCKET is unset): local only');
  if (survey.versioning && (survey.versioning.status === 'enabled' || survey.versioning.status === 'suspended')) {
    lines.push('the bucket is versioned: a prune there only adds delete markers; the data stays as noncurrent versions until a lifecycle rule expires them');
  }
  return lines;
}

export interface PruneResult {
  held?: Hold;
  local: string[];
  bucket: string[];
  bytes: number;
  notes: string[];
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
      `nothing was pruned, locally or in the bucket: the bucket could not be read (${messageOf(survey.bucketError)}), so a retention hold placed there cannot be ruled out`,
      (survey.bucketError as { hint?: string }).hint ?? 'fix the bucket access and run retention again',
      survey.bucketError,
    );
  }
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
  if (survey.bucketPlan && target.s3) {
    const { deleteObjects } = await import('../s3/objects.js');
    const bucket = prunable(survey.bucketPlan);
    let markersOnly = false;
    for (const decision of bucket.backups) {
      const names = decision.names.filter((name) => classifyName(name).kind !== 'foreign');
      const deleted = await deleteObjects(target.s3, names, { signal: target.signal, ...(survey.versioning ? { versioning: survey.versioning } : {}) });
      markersOnly ||= deleted.versioned;
      for (const name of names) {
        result.bucket.push(name);
        output(`pruned bucket ${name}${deleted.versioned ? ' (delete marker)' : ''}`);
      }
    }
    const partialNames = bucket.partials.map((p) => p.name);
    if (partialNames.length > 0) {
      await deleteObjects(target.s3, partialNames, { signal: target.signal });
      result.bucket.push(...partialNames);
    }
    if (markersOnly) {
      result.notes.push('the bucket is versioned: the deletes only added delete markers; the data stays until a lifecycle rule expires noncurrent versions');
    }
  }
  return result;
}

/** Deletes one of our files in BACKUP_DIR; refuses any other name (belt and braces: the plan lists only ours). */
async function removeOurs(backupDir: string, name: string): Promise<void> {
  if (classifyName(name).kind === 'foreign' || name.includes('/')) {
    throw new StepFailedError(`refusing to delete ${name}: not a file of ours`, 'this is a bug: report it with the run id');
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
