/** Gathers every line and figure of `status` (nothing is printed or written here). */
import { plainSettingsOf } from '../core/parsed-settings.js';
import { parseDuration } from '../core/duration.js';
import type { Settings } from '../core/settings.js';
import { recordsDirOf } from '../records/records-dir.js';
import { ageLimit } from './ages.js';
import { checkBucketBackups, checkLocalBackups } from './backups.js';
import { checkPitr } from './pitr.js';
import { scanRecords, type RecordsScan } from './records-scan.js';
import { checkRegister } from './register.js';
import { drillItem, lastRunItems } from './runs.js';
import { worstState, type PluginState, type StatusReport } from './types.js';

export function recordsDirFor(settings: Settings): string {
  return recordsDirOf(settings);
}

const seconds = (ms: number | undefined): number | undefined =>
  ms === undefined || !Number.isFinite(ms) ? undefined : ms / 1000;

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

function dumpSeconds(manifest: { startedAt: string; finishedAt: string } | undefined): number | undefined {
  if (!manifest) return undefined;
  const ms = Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt);
  return Number.isNaN(ms) || ms < 0 ? undefined : ms / 1000;
}

function rtoTargetSeconds(settings: Settings): number | undefined {
  try {
    return parseDuration(plainSettingsOf(settings).drill.rtoTarget, 'RTO_TARGET') / 1000;
  } catch {
    return undefined; // a bad RTO_TARGET is the drill's business; status only reports it when it reads
  }
}

export async function collectStatus(settings: Settings, now = new Date()): Promise<StatusReport> {
  const backupLimit = ageLimit(settings, 'BACKUP_MAX_AGE');
  const drillLimit = ageLimit(settings, 'DRILL_MAX_AGE');
  // `off`: a monitoring host that cannot reach the database checks no WAL archiving (and never goes UNKNOWN for it).
  const walCheckOff = plainSettingsOf(settings).status.pitrMaxArchiveLag === 'off';
  const lagLimit = walCheckOff ? undefined : ageLimit(settings, 'PITR_MAX_ARCHIVE_LAG');
  const backupDir = settings.require('BACKUP_DIR');
  const recordsDir = recordsDirFor(settings);

  const scanning = scanRecords(recordsDir).catch(asError);
  const [local, bucket, scan, pitr] = await Promise.all([
    checkLocalBackups(backupDir, backupLimit, now),
    checkBucketBackups(settings, backupLimit, now),
    scanning,
    checkPitr({ settings, lagLimit, backupLimit, scan: scanning, recordsDir, now }),
  ]);
  const register = await checkRegister(backupDir, bucket.register, local.figure.at !== undefined);
  const drill = drillItem(scan, recordsDir, drillLimit, now);
  const items = [...local.items, ...bucket.items, drill.item, register.item, ...pitr.items, ...lastRunItems(scan, now)];
  const records: RecordsScan | undefined = scan instanceof Error ? undefined : scan;

  const state: PluginState = worstState(items.flatMap((item) => (item.state === 'INFO' ? [] : [item.state])));
  return {
    state,
    checkedAt: now,
    items,
    figures: {
      backupLocal: local.figure,
      backupBucket: bucket.figure,
      drill: drill.figure,
      dumpSizeBytes: local.manifest?.dump.size,
      dumpDurationSeconds: dumpSeconds(local.manifest),
      backupDurationSeconds: seconds(records?.lastGoodBackup?.durationMs),
      rtoSeconds: seconds(records?.lastPassingDrill?.rtoMs),
      rtoTargetSeconds: rtoTargetSeconds(settings),
      lastRuns: records ? [...records.lastRuns.values()] : [],
      keyEraRegister: register.present,
      walArchive: pitr.walArchive,
      physicalBackup: pitr.physicalBackup,
    },
  };
}
