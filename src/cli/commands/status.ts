/**
 * `obexal-runbook status`: the age of the newest verified backup locally and in the bucket, and of the last
 * passing drill, against BACKUP_MAX_AGE and DRILL_MAX_AGE. One plain line per item, for people and monitoring:
 *
 *   exit 0  every item is within its limit
 *   exit 5  an item is older than its limit, or there is none (no verified backup, no passing drill)
 *   exit 1  nothing is too old, but an item could not be checked (the bucket unreachable or refusing the
 *           credentials, BACKUP_DIR unreadable): worth an alert, but not "too old"
 *   exit 2  a limit is not a duration
 *
 * A bucket that is not configured (S3_BUCKET unset) is reported and does not change the exit code. A drill
 * counts when its record in RECORDS_DIR (default BACKUP_DIR/records) is a `drill` run with outcome `ok`; the
 * record's signature is not checked here (`records verify` does that).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, messageOf, UsageError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import type { Settings } from '../../core/settings.js';
import { formatAge, localInventory, newestVerified } from '../../backup/inventory.js';
import type { Invocation } from '../environment.js';
import { recordsDirOf } from '../record-writer.js';

type ItemState = 'ok' | 'too-old' | 'missing' | 'error' | 'info';

interface StatusItem {
  label: string;
  state: ItemState;
  text: string;
  /** What the age is of (the dump, the record file). */
  detail?: string;
}

const WORD: Record<ItemState, string> = { ok: 'ok', 'too-old': 'TOO OLD', missing: 'MISSING', error: 'ERROR', info: '' };

function limitOf(settings: Settings, name: 'BACKUP_MAX_AGE' | 'DRILL_MAX_AGE'): { ms: number; text: string } {
  const text = settings.get(name) ?? (name === 'BACKUP_MAX_AGE' ? '26h' : '92d');
  const ms = parseDuration(text, name);
  if (ms <= 0) throw new UsageError(`${name} "${text}" must be a positive duration`, 'write a duration such as 26h or 92d');
  return { ms, text };
}

function ageItem(label: string, limit: { ms: number; text: string }, now: Date, found: { at: Date; what: string } | undefined, missing: string): StatusItem {
  if (!found) return { label, state: 'missing', text: `${missing} (limit ${limit.text})` };
  const age = now.getTime() - found.at.getTime();
  return { label, state: age > limit.ms ? 'too-old' : 'ok', text: `${formatAge(age)} old (limit ${limit.text})`, detail: found.what };
}

/** Informational: a hold suspends pruning, it does not change the exit code. */
function holdItem(hold: { since: string; by: string; reason: string }, where: 'local' | 'bucket'): StatusItem {
  return { label: 'retention hold', state: 'info', text: `active since ${hold.since} by ${hold.by} (${where}): ${hold.reason}; nothing is pruned` };
}

function lineOf(item: StatusItem): string {
  const word = WORD[item.state];
  return `${item.label}: ${item.text}${word ? ` ${word}` : ''}${item.detail ? ` - ${item.detail}` : ''}`;
}

export function recordsDirFor(settings: Settings): string {
  return recordsDirOf(settings);
}

/** The last drill run with outcome ok, from the record files (a record name carries `-drill-`). */
export async function lastPassingDrill(recordsDir: string): Promise<{ at: Date; file: string } | undefined> {
  let names: string[];
  try {
    names = await readdir(recordsDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let best: { at: Date; file: string } | undefined;
  for (const file of names.filter((n) => /^\d{8}T\d{6}Z-drill-.+\.json$/.test(n))) {
    let record: { runbook?: unknown; outcome?: unknown; finishedAt?: unknown };
    try {
      record = JSON.parse(await readFile(join(recordsDir, file), 'utf8')) as typeof record;
    } catch {
      continue;
    }
    if (record.runbook !== 'drill' || record.outcome !== 'ok' || typeof record.finishedAt !== 'string') continue;
    const at = new Date(record.finishedAt);
    if (Number.isNaN(at.getTime())) continue;
    if (!best || at > best.at) best = { at, file };
  }
  return best;
}

async function bucketItem(settings: Settings, limit: { ms: number; text: string }, now: Date): Promise<StatusItem[]> {
  const label = 'backup bucket';
  if (!settings.get('S3_BUCKET')) return [{ label, state: 'info', text: 'not configured (S3_BUCKET is unset): no off-site copy' }];
  const { s3SettingsFromSettings } = await import('../../s3/settings.js');
  const { openS3, closeS3 } = await import('../../s3/client.js');
  const { newestVerifiedInBucket } = await import('../../backup/bucket-inventory.js');
  const { readBucketHold } = await import('../../backup/hold.js');
  const context = openS3(s3SettingsFromSettings(settings), { maxAttempts: 2, connectionTimeoutMs: 5_000, socketTimeoutMs: 30_000 });
  const signal = AbortSignal.timeout(60_000);
  try {
    const newest = await newestVerifiedInBucket(context, { signal });
    const items = [ageItem(label, limit, now, newest ? { at: newest.takenAt, what: newest.dump } : undefined, `no verified backup in s3://${context.settings.bucket}/${context.settings.prefix}`)];
    const hold = await readBucketHold(context, signal);
    if (hold) items.push(holdItem(hold, 'bucket'));
    return items;
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    return [{ label, state: 'error', text: `could not be checked: ${messageOf(error)}${hint ? ` (${hint})` : ''}` }];
  } finally {
    closeS3(context);
  }
}

export async function statusCommand(invocation: Invocation): Promise<{ text: string; exitCode: number }> {
  const { settings } = invocation;
  const backupLimit = limitOf(settings, 'BACKUP_MAX_AGE');
  const drillLimit = limitOf(settings, 'DRILL_MAX_AGE');
  const now = new Date();
  const items: StatusItem[] = [];

  const backupDir = settings.require('BACKUP_DIR');
  try {
    const local = await localInventory(backupDir);
    const newest = newestVerified(local);
    items.push(ageItem('backup local', backupLimit, now, newest ? { at: newest.takenAt, what: newest.dump?.name ?? newest.stamp } : undefined, `no verified backup in ${local.where}`));
    const { readLocalHold } = await import('../../backup/hold.js');
    const hold = await readLocalHold(backupDir);
    if (hold) items.push(holdItem(hold, 'local'));
  } catch (error) {
    items.push({ label: 'backup local', state: 'error', text: `could not be checked: ${messageOf(error)}` });
  }

  items.push(...(await bucketItem(settings, backupLimit, now)));

  const recordsDir = recordsDirFor(settings);
  try {
    const drill = await lastPassingDrill(recordsDir);
    items.push(ageItem('drill', drillLimit, now, drill ? { at: drill.at, what: drill.file } : undefined, `no passing drill record in ${recordsDir}`));
  } catch (error) {
    items.push({ label: 'drill', state: 'error', text: `could not be checked: ${messageOf(error)}` });
  }

  const states = new Set(items.map((i) => i.state));
  const exitCode = states.has('too-old') || states.has('missing') ? ExitCode.thresholdMissed : states.has('error') ? ExitCode.stepFailed : ExitCode.ok;
  return { text: items.map(lineOf).join('\n'), exitCode };
}
