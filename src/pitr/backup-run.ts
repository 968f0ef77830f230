/**
 * pitr.backup: a pgBackRest backup of the source cluster. `auto` takes a full backup when the newest full one is
 * older than PITR_FULL_EVERY (or there is none), else an incremental one; retention (PITR: RETENTION_DAYS of full
 * backups, written in the stanza configuration) is pgBackRest's own `expire`, run by the backup itself.
 */
import type { ActionContext, ActionResult } from '../engine/action.js';
import { formatBytes } from '../core/format.js';
import { pitrContext } from './context.js';
import { backupTime, goodBackups, readInfo, type StanzaInfo } from './info.js';
import { runPgBackRest } from './pgbackrest.js';
import { addPin, pinsFile, readPins, retentionWithPins } from './pins.js';
import { parseDuration } from '../core/duration.js';

export type BackupType = 'full' | 'diff' | 'incr';

export function chooseType(
  requested: 'auto' | BackupType,
  info: StanzaInfo | undefined,
  fullEveryMs: number,
  now = Date.now(),
): BackupType {
  if (requested !== 'auto') return requested;
  const fulls = (info ? goodBackups(info) : []).filter((b) => b.type === 'full');
  const newest = fulls[fulls.length - 1];
  return newest && now - newest.timestamp.stop * 1000 < fullEveryMs ? 'incr' : 'full';
}

/** Widens the expire of this backup to keep every live pin; says so when it does. */
async function retentionArgs(ctx: ActionContext, retentionDays: number): Promise<string[]> {
  const pins = await readPins(pinsFile(ctx.settings.configDir));
  const days = retentionWithPins(retentionDays, pins);
  if (days === retentionDays) return [];
  ctx.output(
    `retention kept at ${days} days of full backups (RETENTION_DAYS ${retentionDays}) ` +
      `for ${pins.length} pinned backup(s)`,
  );
  return [`--repo1-retention-full=${days}`];
}

export interface PhysicalBackupParams {
  type: 'auto' | BackupType;
  reason: string;
  /** Keep this backup at least this long (a duration such as 30d; empty for no pin). */
  pin: string;
}

export async function runPhysicalBackup(params: PhysicalBackupParams, ctx: ActionContext): Promise<ActionResult> {
  const pinMs = params.pin ? parseDuration(params.pin, 'pin') : undefined;
  const pitr = await pitrContext(ctx, { source: true, requirePassphrase: true });
  const before = await readInfo(pitr.runner).catch(() => undefined);
  const type = chooseType(params.type, before, pitr.settings.fullEveryMs);
  ctx.output(`pgbackrest backup --type=${type} (reason ${params.reason})`);
  const annotations = [`--annotation=reason=${params.reason}`, `--annotation=run=${ctx.runId}`];
  const retention = await retentionArgs(ctx, pitr.settings.retentionDays);
  await runPgBackRest(pitr.runner, 'backup', [`--type=${type}`, ...annotations, ...retention]);
  const info = await readInfo(pitr.runner);
  const newest = goodBackups(info).at(-1);
  if (!newest)
    return { message: `pgbackrest backup --type=${type} finished, but info lists no backup`, outcome: 'failed' };
  const physicalBackup = {
    label: newest.label,
    type: newest.type,
    reason: params.reason,
    startedAt: backupTime(newest.timestamp.start),
    stoppedAt: backupTime(newest.timestamp.stop),
    sizeBytes: newest.info.size,
    repositoryBytes: newest.info.repository.delta ?? newest.info.repository.size,
    walStart: newest.archive?.start ?? null,
    walStop: newest.archive?.stop ?? null,
    stanza: pitr.settings.stanza,
    backups: goodBackups(info).length,
    pinnedUntil: pinMs === undefined ? null : new Date(Date.now() + pinMs).toISOString(),
  };
  if (physicalBackup.pinnedUntil) {
    const pin = { label: newest.label, until: physicalBackup.pinnedUntil, reason: params.reason };
    await addPin(pinsFile(ctx.settings.configDir), pin);
    ctx.output(`pinned until ${physicalBackup.pinnedUntil}: later backups' expire keeps it`);
  }
  return {
    message:
      `${newest.type} backup ${newest.label}: ${formatBytes(newest.info.size)} of ` +
      `data, ${formatBytes(physicalBackup.repositoryBytes)} written to the repository`,
    data: { physicalBackup, record: { physicalBackup } },
  };
}
