/**
 * The retention decision for one place (BACKUP_DIR or the bucket), as a pure function of its inventory and the
 * time: what is kept, until when and why, and what is pruned. The rules, in order:
 *
 *  1. a pinned backup is kept until its pin expires;
 *  2. the newest verified backup of each source (system identifier + database) is kept whatever its age; a
 *     `pre-restore` dump never counts as that floor. A source with no verified backup here keeps its newest
 *     complete one instead (the last copy of a source is never pruned by age alone);
 *  3. a backup younger than RETENTION_DAYS (by the time its manifest records, else its name's timestamp) is kept;
 *  4. anything else is pruned, oldest first, its dump(s) before its manifest.
 *
 * Stale `*.partial` files of ours (older than the grace period) are pruned too. Names that are not ours are never
 * touched. Reading and deleting live in retention-run.ts.
 */
import { UsageError } from '../core/errors.js';
import { formatAge, formatBytes } from '../core/format.js';
import { type BackupLocation, type Inventory, type StoredBackup } from './inventory.js';
import { parseRetentionDays } from './config.js';

export const DAY_MS = 86_400_000;
/** A partial file younger than this may belong to a run in progress. */
export const PARTIAL_GRACE_MS = 60 * 60 * 1000;

export interface RetentionPolicy {
  retentionDays: number;
  partialGraceMs: number;
  now: Date;
}

export function retentionPolicy(retentionDaysText: string | undefined, now = new Date()): RetentionPolicy {
  return { retentionDays: parseRetentionDays(retentionDaysText), partialGraceMs: PARTIAL_GRACE_MS, now };
}

export type Verdict = 'keep' | 'prune';

export interface BackupDecision {
  location: BackupLocation;
  stamp: string;
  /** What would be deleted for this backup (dumps first, manifest last); what exists of it when kept. */
  names: string[];
  takenAt: Date;
  timeFrom: StoredBackup['timeFrom'];
  verdict: Verdict;
  why: string;
  /** The earliest time it may be pruned (window end or pin, whichever is later); absent for the floor. */
  keepUntil?: Date;
  floor: boolean;
  reason?: string;
  source?: string;
  size: number;
  /** The key eras the manifest names (whose keys a restore of it needs). */
  eras: string[];
  verified: boolean;
  pinUntil?: Date;
  /** How the dump is encrypted (from the manifest), and to how many age recipients. */
  encryption?: 'age' | 'none';
  recipients?: string[];
}

export interface PartialDecision {
  location: BackupLocation;
  name: string;
  verdict: Verdict;
  why: string;
}

export interface LocationPlan {
  location: BackupLocation;
  where: string;
  backups: BackupDecision[];
  partials: PartialDecision[];
  ignored: string[];
}

/** Stamps kept as the floor of their source, with why. */
function floorOf(inventory: Inventory): Map<string, string> {
  const floor = new Map<string, string>();
  const sources = new Set(
    inventory.backups.filter((b) => b.source && b.reason !== 'pre-restore').map((b) => b.source as string),
  );
  for (const source of sources) {
    const eligible = inventory.backups.filter((b) => b.source === source && b.reason !== 'pre-restore');
    const verified = eligible.filter((b) => b.verified).at(-1);
    if (verified) {
      floor.set(verified.stamp, `newest verified backup of ${source}`);
      continue;
    }
    const complete = eligible.filter((b) => b.complete).at(-1);
    if (complete) floor.set(complete.stamp, `newest complete backup of ${source} (none here is verified)`);
  }
  return floor;
}

function namesOf(backup: StoredBackup): string[] {
  const names = backup.dumps.map((d) => d.name).sort();
  if (backup.manifestFile) names.push(backup.manifestFile.name);
  return names;
}

/** A partial file is pruned once older than the grace a running dump may need; kept while a run may write it. */
function partialDecision(
  location: LocationPlan['location'],
  file: Inventory['partials'][number],
  now: number,
  policy: RetentionPolicy,
): PartialDecision {
  const age = file.modifiedAt ? now - file.modifiedAt.getTime() : Number.POSITIVE_INFINITY;
  return age > policy.partialGraceMs
    ? {
        location,
        name: file.name,
        verdict: 'prune',
        why:
          `stale partial file (${file.modifiedAt ? `${formatAge(age)} old` : 'age unknown'}): an ` +
          `interrupted run left it`,
      }
    : {
        location,
        name: file.name,
        verdict: 'keep',
        why: `partial file ${formatAge(age)} old: a run may still be writing it`,
      };
}

export function planLocation(inventory: Inventory, policy: RetentionPolicy): LocationPlan {
  if (!Number.isSafeInteger(policy.retentionDays) || policy.retentionDays < 1) {
    throw new UsageError(
      `RETENTION_DAYS ${policy.retentionDays} is not a positive whole number of days`,
      'set RETENTION_DAYS to a number of days such as 14',
    );
  }
  const now = policy.now.getTime();
  const windowMs = policy.retentionDays * DAY_MS;
  const floor = floorOf(inventory);
  const backups: BackupDecision[] = inventory.backups.map((backup) => {
    const windowEnd = new Date(backup.takenAt.getTime() + windowMs);
    const pinned = backup.pinUntil !== undefined && backup.pinUntil.getTime() > now;
    const keepUntil = pinned && (backup.pinUntil as Date) > windowEnd ? (backup.pinUntil as Date) : windowEnd;
    const floorWhy = floor.get(backup.stamp);
    const decision: BackupDecision = {
      location: inventory.location,
      stamp: backup.stamp,
      names: namesOf(backup),
      takenAt: backup.takenAt,
      timeFrom: backup.timeFrom,
      verdict: 'keep',
      why: '',
      floor: floorWhy !== undefined,
      size: backup.dumps.reduce((sum, d) => sum + d.size, 0) + (backup.manifestFile?.size ?? 0),
      eras: backup.manifest?.keyEras.map((e) => e.label) ?? [],
      verified: backup.verified,
    };
    if (backup.reason) decision.reason = backup.reason;
    if (backup.source) decision.source = backup.source;
    if (backup.pinUntil) decision.pinUntil = backup.pinUntil;
    if (backup.manifest) {
      decision.encryption = backup.manifest.dump.encryption;
      decision.recipients = backup.manifest.dump.recipients;
    }
    if (pinned) {
      decision.why = `pinned until ${(backup.pinUntil as Date).toISOString()}`;
      decision.keepUntil = keepUntil;
    } else if (floorWhy) {
      decision.why = `${floorWhy}: kept until a newer one is verified`;
    } else if (windowEnd.getTime() > now) {
      decision.why = `within the ${policy.retentionDays}-day window`;
      decision.keepUntil = windowEnd;
    } else {
      decision.verdict = 'prune';
      const expiredPin = backup.pinUntil ? `, pin expired ${backup.pinUntil.toISOString()}` : '';
      decision.why = `older than ${policy.retentionDays} days${expiredPin}`;
    }
    return decision;
  });
  const partials = inventory.partials.map((file) => partialDecision(inventory.location, file, now, policy));
  return { location: inventory.location, where: inventory.where, backups, partials, ignored: inventory.ignored };
}

export function prunable(plan: LocationPlan): { backups: BackupDecision[]; partials: PartialDecision[] } {
  return {
    backups: plan.backups.filter((b) => b.verdict === 'prune'),
    partials: plan.partials.filter((p) => p.verdict === 'prune'),
  };
}

function dumpLabel(decision: BackupDecision): string {
  return decision.names[0] ?? decision.stamp;
}

/** One plain line per backup and partial file, for the report and before pruning. */
export function planLines(plan: LocationPlan, now: Date): string[] {
  const lines: string[] = [];
  const label = plan.location === 'local' ? 'local ' : 'bucket';
  if (plan.backups.length === 0 && plan.partials.length === 0) lines.push(`${label} ${plan.where}: no backups`);
  for (const d of plan.backups) {
    const age =
      `${formatAge(now.getTime() - d.takenAt.getTime())} ` +
      `old${d.timeFrom === 'file name' ? ' (time from the file name)' : ''}`;
    const reason = d.reason ?? 'no manifest';
    const what =
      d.verdict === 'prune'
        ? `PRUNE: ${d.why}`
        : `keep${d.keepUntil ? ` until ${d.keepUntil.toISOString()}` : ''}: ${d.why}`;
    const missing =
      d.names.length === 1 && d.names[0]?.endsWith('.manifest.json') ? ' (manifest without its dump)' : '';
    const facts = [
      formatBytes(d.size),
      d.eras.length > 0 ? `era ${d.eras.join('+')}` : 'era unknown',
      d.verified ? 'verified' : d.reason ? 'not verified' : 'no manifest',
    ];
    lines.push(`${label} ${dumpLabel(d)}${missing}  ${age}  ${reason}  ${what}  [${facts.join(', ')}]`);
  }
  for (const p of plan.partials)
    lines.push(`${label} ${p.name}  ${p.verdict === 'prune' ? 'PRUNE' : 'keep'}: ${p.why}`);
  if (plan.ignored.length > 0) lines.push(`${label} not ours, never touched: ${plan.ignored.join(', ')}`);
  return lines;
}

/** What the bucket itself does with a deleted or expired object (read from its configuration). */
export interface BucketBehaviour {
  versioning: 'enabled' | 'suspended' | 'never-enabled' | 'unknown';
  /** Days a noncurrent version lives (a lifecycle rule on our prefix); undefined when no rule expires them. */
  noncurrentExpirationDays?: number;
  /** Days after which a lifecycle rule expires current objects under our prefix. */
  currentExpirationDays?: number;
  /** Object Lock default retention in days (years × 365), and its mode. */
  objectLockDays?: number;
  objectLockMode?: string;
  lifecycleUnknown?: boolean;
  objectLockUnknown?: boolean;
}

export interface ErasureWindow {
  /** Personal data erased at `from` can remain in backups until this time at the latest (undefined: no bound). */
  until?: Date;
  from: Date;
  /** from + RETENTION_DAYS: a backup taken just before the erasure. */
  windowUntil: Date;
  /** The latest pin among the backups that exist, and how many are pinned past the window. */
  pinnedUntil?: Date;
  pinnedPastWindow: number;
  /** Why the bucket adds time, or why there is no bound. */
  bucketNotes: string[];
}

/**
 * How long data erased now can stay in backups: every backup that exists holds it, and so may one taken just
 * before the erasure (kept RETENTION_DAYS); pins keep theirs longer; in a versioned bucket a prune leaves a
 * noncurrent version until a lifecycle rule expires it (no rule: no bound); Object Lock keeps each object its
 * retention period. The prune itself runs with the backup job, so add up to a day to any of these.
 */
export function erasureWindow(plans: LocationPlan[], policy: RetentionPolicy, bucket?: BucketBehaviour): ErasureWindow {
  const from = policy.now;
  const windowUntil = new Date(from.getTime() + policy.retentionDays * DAY_MS);
  let until: Date | undefined = windowUntil;
  const later = (a: Date | undefined, b: Date): Date => (a === undefined || b > a ? b : a);
  let pinnedUntil: Date | undefined;
  const pinnedPast = new Set<string>(); // by stamp: the local copy and the bucket's are one backup
  for (const plan of plans) {
    for (const d of plan.backups) {
      if (d.verdict === 'prune' || !d.pinUntil || d.pinUntil <= from) continue;
      pinnedUntil = later(pinnedUntil, d.pinUntil);
      if (d.pinUntil > windowUntil) pinnedPast.add(d.stamp);
    }
  }
  const pinnedPastWindow = pinnedPast.size;
  if (pinnedUntil) until = later(until, pinnedUntil);
  const notes: string[] = [];
  if (bucket) {
    if (bucket.objectLockDays !== undefined) {
      const locked = new Date(from.getTime() + bucket.objectLockDays * DAY_MS);
      until = later(until, locked);
      notes.push(
        `Object Lock (${bucket.objectLockMode ?? 'default retention'}, ${bucket.objectLockDays} ` +
          `days) keeps every object at least that long after its upload, whatever the prune does`,
      );
    }
    if (bucket.versioning === 'enabled' || bucket.versioning === 'suspended') {
      if (bucket.noncurrentExpirationDays !== undefined) {
        until = until ? new Date(until.getTime() + bucket.noncurrentExpirationDays * DAY_MS) : until;
        notes.push(
          `the bucket is versioned: a prune only adds a delete marker, and the lifecycle rule ` +
            `expires the noncurrent version ${bucket.noncurrentExpirationDays} days later`,
        );
      } else {
        until = undefined;
        notes.push(
          'the bucket is versioned and no lifecycle rule expires noncurrent versions: a pruned ' +
            'backup stays as a noncurrent version until someone deletes that version; add a ' +
            'NoncurrentVersionExpiration rule on the prefix to bound it',
        );
      }
    } else if (bucket.versioning === 'unknown')
      notes.push(
        "the bucket's versioning could not be read: if it is versioned, pruned backups stay as noncurrent versions",
      );
    if (bucket.currentExpirationDays !== undefined && bucket.currentExpirationDays < policy.retentionDays) {
      notes.push(
        `a lifecycle rule expires objects after ${bucket.currentExpirationDays} days, before ` +
          `RETENTION_DAYS (${policy.retentionDays}): the bucket holds less than the window (and may ` +
          `lose the newest verified backup)`,
      );
    }
    if (bucket.lifecycleUnknown) notes.push('the lifecycle rules could not be read');
    if (bucket.objectLockUnknown) notes.push('the Object Lock configuration could not be read');
  }
  const window: ErasureWindow = { from, windowUntil, pinnedPastWindow, bucketNotes: notes };
  if (until) window.until = until;
  if (pinnedUntil) window.pinnedUntil = pinnedUntil;
  return window;
}
