/**
 * The backup side of `status`: the newest verified backup in BACKUP_DIR and in the bucket, a retention hold in
 * either, and the bucket's copy of the key-era register (read through the same client, while it is open).
 */
import { plainSettingsOf } from '../core/parsed-settings.js';
import { messageOf } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import { localInventory, newestVerified } from '../backup/inventory.js';
import type { Manifest } from '../backup/manifest.js';
import type { KeyEraRegister } from '../eras/register.js';
import type { S3Context } from '../s3/client.js';
import { ageItem, uncheckedAge, type AgeLimit } from './ages.js';
import type { AgeFigure, StatusItem } from './types.js';

export interface LocalBackups {
  items: StatusItem[];
  figure: AgeFigure;
  manifest: Manifest | undefined;
}

/** Informational: a hold suspends pruning, it does not change the state. */
function holdItem(hold: { since: string; by: string; reason: string }, where: 'local' | 'bucket'): StatusItem {
  const text = `active since ${hold.since} by ${hold.by} (${where}): ${hold.reason}; nothing is pruned`;
  return { key: `retention_hold_${where}`, label: 'retention hold', state: 'INFO', text };
}

const whyOf = (error: unknown): string => {
  const hint = (error as { hint?: string }).hint;
  return `${messageOf(error)}${hint ? ` (${hint})` : ''}`;
};

export async function checkLocalBackups(backupDir: string, limit: AgeLimit, now: Date): Promise<LocalBackups> {
  const label = 'backup local';
  try {
    const local = await localInventory(backupDir);
    const newest = newestVerified(local);
    const found = newest ? { at: newest.takenAt, what: newest.dump?.name ?? newest.stamp } : undefined;
    const missing = `no verified backup in ${local.where}`;
    const { item, figure } = ageItem({ key: 'backup_local', label, limit, now, found, missing });
    const items = [item];
    const { readLocalHold } = await import('../backup/hold.js');
    const hold = await readLocalHold(backupDir);
    if (hold) items.push(holdItem(hold, 'local'));
    return { items, figure, manifest: newest?.manifest };
  } catch (error) {
    const { item, figure } = uncheckedAge('backup_local', label, limit, whyOf(error));
    return { items: [item], figure, manifest: undefined };
  }
}

export type BucketRegister =
  | { state: 'read'; register: KeyEraRegister; where: string }
  | { state: 'absent'; where: string }
  | { state: 'not-configured' | 'unreachable' }
  | { state: 'damaged'; problem: string };

/** A check must answer within the monitoring system's timeout: few attempts, short connection timeout. */
const QUICK_CLIENT = { maxAttempts: 2, connectionTimeoutMs: 5_000, socketTimeoutMs: 30_000 };

export interface BucketBackups {
  items: StatusItem[];
  /** Undefined when no bucket is configured. */
  figure: AgeFigure | undefined;
  register: BucketRegister;
}

async function readRegisterCopy(context: S3Context, signal: AbortSignal): Promise<BucketRegister> {
  const [{ getJson }, { describeLocation }, { parseRegister, REGISTER_FILE_NAME }] = await Promise.all([
    import('../s3/objects.js'),
    import('../s3/settings.js'),
    import('../eras/register.js'),
  ]);
  const where = describeLocation(context.settings, REGISTER_FILE_NAME);
  let found: { value: unknown } | undefined;
  try {
    found = await getJson<unknown>(context, REGISTER_FILE_NAME, { signal });
  } catch (error) {
    // The backups were read through the same client: a failure here is this object's (a bad checksum, bad JSON).
    return { state: 'damaged', problem: messageOf(error) };
  }
  if (!found) return { state: 'absent', where };
  try {
    return { state: 'read', register: parseRegister(found.value, where), where };
  } catch (error) {
    return { state: 'damaged', problem: messageOf(error) };
  }
}

export async function checkBucketBackups(settings: Settings, limit: AgeLimit, now: Date): Promise<BucketBackups> {
  const label = 'backup bucket';
  if (!plainSettingsOf(settings).bucketName) {
    const text = 'not configured (S3_BUCKET is unset): no off-site copy';
    const items: StatusItem[] = [{ key: 'backup_bucket', label, state: 'INFO', text }];
    return { items, figure: undefined, register: { state: 'not-configured' } };
  }
  const { s3SettingsFromSettings } = await import('../s3/settings.js');
  const { openS3, closeS3 } = await import('../s3/client.js');
  const { newestVerifiedInBucket } = await import('../backup/bucket-inventory.js');
  const { readBucketHold } = await import('../backup/hold.js');
  const signal = AbortSignal.timeout(60_000);
  let context: S3Context | undefined;
  try {
    context = openS3(s3SettingsFromSettings(settings), QUICK_CLIENT);
    const newest = await newestVerifiedInBucket(context, { signal });
    const found = newest ? { at: newest.takenAt, what: newest.dump } : undefined;
    const missing = `no verified backup in s3://${context.settings.bucket}/${context.settings.prefix}`;
    const { item, figure } = ageItem({ key: 'backup_bucket', label, limit, now, found, missing });
    const items = [item];
    const hold = await readBucketHold(context, signal);
    if (hold) items.push(holdItem(hold, 'bucket'));
    return { items, figure, register: await readRegisterCopy(context, signal) };
  } catch (error) {
    const { item, figure } = uncheckedAge('backup_bucket', label, limit, whyOf(error));
    return { items: [item], figure, register: { state: 'unreachable' } };
  } finally {
    if (context) closeS3(context);
  }
}
