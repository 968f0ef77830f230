/**
 * Point-in-time recovery in `status` (issue 15): the source's WAL archiving (archive_mode, a failing
 * archive_command, segments waiting and the age of the last archived one against PITR_MAX_ARCHIVE_LAG) and the
 * age of the last successful physical backup (from the records, against BACKUP_MAX_AGE as the dumps).
 * An unreachable database is an UNKNOWN line, never a crash. Decisions: docs/monitoring.md.
 */
import { plainSettingsOf } from '../core/parsed-settings.js';
import { stat } from 'node:fs/promises';
import { formatAge } from '../core/format.js';
import { messageOf } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import { parseConnectionString } from '../pg/target.js';
import { ageItem, uncheckedAge, type AgeLimit } from './ages.js';
import { isFailing, pendingSegments, readArchiver, type ArchiverState } from './pitr-archiver.js';
import type { RecordsScan } from './records-scan.js';
import type { AgeFigure, StatusItem, WalArchiveFigures } from './types.js';

const DEFAULT_CONFIG_FILE = '/etc/pgbackrest/obexal-runbook.conf';
const [KEY, LABEL] = ['wal_archiving', 'wal archiving'];

export interface PitrContext {
  settings: Settings;
  /** PITR_MAX_ARCHIVE_LAG; undefined when it is `off` (status then never connects to the database). */
  lagLimit: AgeLimit | undefined;
  /** BACKUP_MAX_AGE. */
  backupLimit: AgeLimit;
  /** The records, being read meanwhile (the database is asked at the same time). */
  scan: Promise<RecordsScan | Error>;
  recordsDir: string;
  now: Date;
}

/** The context of the WAL check, which runs only with a lag limit. */
type ArchivingContext = PitrContext & { lagLimit: AgeLimit };

export interface PitrCheck {
  items: StatusItem[];
  walArchive: WalArchiveFigures | undefined;
  physicalBackup: AgeFigure | undefined;
}

/** pitr-setup wrote its configuration: point-in-time recovery is meant to work here. */
export async function pitrConfigured(settings: Settings): Promise<{ file: string; exists: boolean }> {
  const file = plainSettingsOf(settings).pitr.configFile ?? DEFAULT_CONFIG_FILE;
  return { file, exists: (await stat(file).catch(() => undefined)) !== undefined };
}

const epoch = (date: Date | undefined): number | undefined => (date ? date.getTime() / 1000 : undefined);
const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function emptyFigures(lagLimit: AgeLimit): WalArchiveFigures {
  return {
    archiveMode: undefined,
    lagSeconds: undefined,
    pendingSegments: undefined,
    maxLagSeconds: lagLimit.warnMs / 1000,
    lastArchivedWal: undefined,
    lastArchivedAt: undefined,
    failing: undefined,
    failedCount: undefined,
    lastFailedWal: undefined,
    lastFailedAt: undefined,
  };
}

function figuresOf(state: ArchiverState, context: ArchivingContext): WalArchiveFigures {
  const pending = pendingSegments(state);
  const lagMs = pending && state.lastArchivedAt ? context.now.getTime() - state.lastArchivedAt.getTime() : 0;
  return {
    ...emptyFigures(context.lagLimit),
    archiveMode: state.archiveMode,
    lagSeconds: pending === undefined ? undefined : Math.max(0, Math.round(lagMs / 1000)),
    pendingSegments: pending,
    lastArchivedWal: state.lastArchivedWal,
    lastArchivedAt: epoch(state.lastArchivedAt),
    failing: isFailing(state),
    failedCount: state.failedCount,
    lastFailedWal: state.lastFailedWal,
    lastFailedAt: epoch(state.lastFailedAt),
  };
}

function archiveOffItem(config: { file: string; exists: boolean }): StatusItem {
  if (!config.exists) {
    const text = 'point-in-time recovery is not set up (archive_mode is off); to set it up: obexal-runbook pitr-setup';
    return { key: KEY, label: LABEL, state: 'INFO', text };
  }
  const text =
    `archive_mode is off although ${config.file} exists: no WAL is archived, so no point in time after the last ` +
    'archived segment can be recovered; what to do: obexal-runbook pitr-setup turns it on (PostgreSQL restarts)';
  return { key: KEY, label: LABEL, state: 'CRITICAL', text, word: 'OFF' };
}

function failingItem(state: ArchiverState, settings: Settings, configFile: string): StatusItem {
  const since = state.lastArchivedAt
    ? `the last success at ${state.lastArchivedAt.toISOString()}`
    : 'before any segment was archived';
  const stanza = plainSettingsOf(settings).pitr.stanza ?? 'obexal';
  const text =
    `archive_command fails for segment ${state.lastFailedWal ?? '(unknown)'} since ${since} ` +
    `(${plural(state.failedCount, 'failure')} counted, the last at ${state.lastFailedAt?.toISOString()}); ` +
    'WAL piles up in pg_wal and point-in-time recovery stops at the last archived segment; what to do: read the ' +
    `PostgreSQL server log; \`pgbackrest --config=${configFile} --stanza=${stanza} check\` (as the cluster's ` +
    'user) says why';
  return { key: KEY, label: LABEL, state: 'CRITICAL', text, word: 'FAILING' };
}

function lagItem(state: ArchiverState, figures: WalArchiveFigures, limit: AgeLimit, now: Date): StatusItem {
  const pending = figures.pendingSegments;
  const last = state.lastArchivedWal;
  if (pending === undefined) {
    const text = last ? `the last archived file is ${last}` : 'no WAL segment archived yet';
    return { key: KEY, label: LABEL, state: 'OK', text: `${text} (archive_mode ${state.archiveMode})`, word: 'ok' };
  }
  const lagMs = (figures.lagSeconds ?? 0) * 1000;
  const archivedAgo = state.lastArchivedAt ? `, ${formatAge(now.getTime() - state.lastArchivedAt.getTime())} ago` : '';
  if (pending === 0) {
    const text = `nothing waiting, the last segment ${last} archived${archivedAgo}`;
    return { key: KEY, label: LABEL, state: 'OK', text, word: 'ok' };
  }
  const waiting = `${plural(pending, 'segment')} waiting`;
  const text = `${waiting}, the last archived (${last}) is ${formatAge(lagMs)} old (limit ${limit.text})`;
  const [itemState, word] =
    lagMs > limit.critMs
      ? (['CRITICAL', `TOO OLD (critical past ${limit.critText})`] as const)
      : lagMs > limit.warnMs
        ? (['WARNING', 'TOO OLD'] as const)
        : (['OK', 'ok'] as const);
  return { key: KEY, label: LABEL, state: itemState, text, word };
}

function standbyItem(state: ArchiverState): StatusItem {
  const text = `this server is a standby (archive_mode ${state.archiveMode}): its primary archives the WAL; ask it`;
  return { key: KEY, label: LABEL, state: 'INFO', text };
}

async function archivingCheck(url: string, context: ArchivingContext, config: { file: string; exists: boolean }) {
  let state: ArchiverState;
  try {
    state = await readArchiver(parseConnectionString(url));
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    const text = `could not be checked: ${messageOf(error)}${hint ? ` (${hint})` : ''}`;
    const item: StatusItem = { key: KEY, label: LABEL, state: 'UNKNOWN', text, word: 'ERROR' };
    return { item, figures: emptyFigures(context.lagLimit) };
  }
  const figures = figuresOf(state, context);
  if (state.archiveMode === 'off') return { item: archiveOffItem(config), figures };
  if (figures.failing) return { item: failingItem(state, context.settings, config.file), figures };
  if (state.inRecovery) return { item: standbyItem(state), figures };
  return { item: lagItem(state, figures, context.lagLimit, context.now), figures };
}

type Checked = { item: StatusItem; figure: AgeFigure } | undefined;

function physicalBackupCheck(context: PitrContext, scan: RecordsScan | Error, configured: boolean): Checked {
  const [key, label] = ['physical_backup', 'physical backup'];
  const { backupLimit: limit, now } = context;
  if (scan instanceof Error) return configured ? uncheckedAge(key, label, limit, messageOf(scan)) : undefined;
  if (!configured && !scan.lastRuns.has('physical-backup')) return undefined;
  const good = scan.lastGoodPhysicalBackup;
  const found = good ? { at: good.finishedAt, what: good.file } : undefined;
  const missing =
    `no successful physical-backup record in ${context.recordsDir}; take one: obexal-runbook ` + `physical-backup`;
  return ageItem({ key, label, limit, now, found, missing });
}

export async function checkPitr(context: PitrContext): Promise<PitrCheck> {
  const config = await pitrConfigured(context.settings);
  const url = plainSettingsOf(context.settings).database.url;
  const [archiving, scan] = await Promise.all([
    url && context.lagLimit ? archivingCheck(url, { ...context, lagLimit: context.lagLimit }, config) : undefined,
    context.scan,
  ]);
  const physical = physicalBackupCheck(context, scan, config.exists);
  return {
    items: [...(archiving ? [archiving.item] : []), ...(physical ? [physical.item] : [])],
    walArchive: archiving?.figures,
    physicalBackup: physical?.figure,
  };
}
