/**
 * The dump step: exports a snapshot, has pg_dump dump in it, and counts every table's rows and reads the schema
 * migration in the same snapshot while the dump runs, so that the manifest's counts are exactly the dump's.
 */
import { unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import type pg from 'pg';
import { messageOf } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { connect } from '../pg/client.js';
import { parseConnectionString, type PgTarget } from '../pg/target.js';
import { watchCopyProgress, withCopyApplicationName } from '../pg/copy-progress.js';
import type { AgeRecipient } from '../crypto/age-keys.js';
import type { PgDumpData, SourceData } from './actions/schemas.js';
import { ensureBackupDir } from './backup-dir.js';
import { backupConfigFrom, describeCompression } from './config.js';
import { dumpToFile, type DumpFileResult } from './dump-file.js';
import { DumpProgress } from './dump-progress.js';
import type { DumpUpload } from './dump-upload.js';
import { formatBytes } from '../core/format.js';
import { recipientsFrom } from './recipients.js';
import { notePartialUnderLock } from './source-lock.js';
import { countRows, listUserTables, readSchemaMigration, readSourceInfo, type SchemaMigration } from './source-info.js';
import { StepFailedError } from '../core/errors.js';
import { resolveProfile, type SchemaProfile } from '../profile/config.js';

export interface DumpParams {
  source: SourceData;
  pgDump: PgDumpData;
  relationBytes: Record<string, number>;
}

interface Counted {
  rowCounts: Record<string, number>;
  schemaMigration: SchemaMigration;
}

/** Opens the transaction whose snapshot pg_dump imports; undefined when the server cannot export one. */
async function exportSnapshot(client: pg.Client, warn: (text: string) => void): Promise<string | undefined> {
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]?.id;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    warn(
      `cannot export a snapshot (${messageOf(error)}): the row counts are taken in a snapshot of ` +
        `their own and may differ from the dump's`,
    );
    return undefined;
  }
}

/** The counts first: a migrations table the profile cannot read must not take the row counts with it. */
async function countInSnapshot(
  client: pg.Client,
  profile: SchemaProfile,
  inTransaction: boolean,
  signal: AbortSignal,
  warn: (text: string) => void,
): Promise<Counted> {
  const tables = await listUserTables(client);
  const rowCounts = await countRows(client, tables, signal);
  if (inTransaction) await client.query('SAVEPOINT schema_migration');
  let schemaMigration: SchemaMigration = { version: null, name: null };
  try {
    schemaMigration = await readSchemaMigration(client, profile);
    if (inTransaction) await client.query('RELEASE SAVEPOINT schema_migration');
  } catch (error) {
    if (inTransaction) await client.query('ROLLBACK TO SAVEPOINT schema_migration');
    warn(`the schema migration version could not be read (${messageOf(error)}): the manifest records none`);
  }
  return { rowCounts, schemaMigration };
}

/** The same server and database the preflight saw (a DNS or failover switch in between would be another source). */
async function checkSameSource(client: pg.Client, label: string, source: SourceData): Promise<void> {
  const now = await readSourceInfo(client, label);
  if (now.systemIdentifier !== source.systemIdentifier || now.database !== source.database) {
    throw new StepFailedError(
      `${label} is now server ${now.systemIdentifier}/${now.database}, ` +
        `not ${source.systemIdentifier}/${source.database} as at the preflight`,
      'a failover or a DNS change happened during the run: run the backup again',
    );
  }
}

interface DumpRun {
  params: DumpParams;
  ctx: ActionContext;
  config: ReturnType<typeof backupConfigFrom>;
  target: PgTarget;
  recipients: AgeRecipient[];
  client: pg.Client;
  snapshot: string | undefined;
  progress: DumpProgress;
  /** The partial dump file while it exists (the cleanup removes it). */
  partial: { path?: string };
  /** The upload to the bucket that reads the dump while it is written (none without a bucket). */
  upload: DumpUpload | undefined;
}

/** Starts the dump, and the counts in its snapshot once pg_dump has imported it. */
function startDumpAndCounts(run: DumpRun): { dumping: Promise<DumpFileResult>; counts: Promise<Counted> } {
  const { ctx, snapshot, progress } = run;
  // The counts start once pg_dump has imported the snapshot (its first verbose line comes after the import):
  // a count failing earlier would abort the exporting transaction and take the snapshot away from pg_dump.
  let imported!: () => void;
  const snapshotImported = new Promise<void>((resolve) => (imported = resolve));
  const dumping = dumpToFile({
    target: run.target,
    pgDump: run.params.pgDump,
    backupDir: run.config.backupDir,
    compression: run.config.compression,
    recipients: run.recipients,
    snapshot,
    signal: ctx.signal,
    onPartial: (path) => {
      run.partial.path = path;
      // Beside the source lock, so that whoever takes the lock over from a killed run removes this file at once.
      notePartialUnderLock(resolve(path));
      run.upload?.start(path);
    },
    onStderr: (line) => {
      imported();
      // pg_dump's progress chatter goes to the journal (and --verbose); its warnings and errors to the log.
      if (!progress.onLine(line))
        ctx.output(line, /^pg_dump: (error|warning|detail|hint):/.test(line) ? 'stderr' : 'stdout');
    },
  });
  dumping.then(imported, imported);
  const profile = resolveProfile(ctx.settings);
  const warn = (text: string) => ctx.output(text, 'warn');
  const counts = (snapshot ? snapshotImported : Promise.resolve()).then(() =>
    countInSnapshot(run.client, profile, snapshot !== undefined, ctx.signal, warn),
  );
  counts.catch(() => undefined); // judged after the dump
  return { dumping, counts };
}

async function countsOrEmpty(counts: Promise<Counted>, ctx: ActionContext): Promise<Counted> {
  try {
    return await counts;
  } catch (error) {
    // The dump is complete and verified: keep it, and say that its manifest has no row counts.
    ctx.output(`counting rows failed (${messageOf(error)}): the manifest's row counts are empty`, 'warn');
    return { rowCounts: {}, schemaMigration: { version: null, name: null } };
  }
}

function dumpResult(run: DumpRun, dump: DumpFileResult, counted: Counted): ActionResult {
  return {
    message:
      `${dump.name}: ${formatBytes(dump.size)} in ${(dump.durationMs / 1000).toFixed(1)}s, SHA-256 ` +
      `verified on disk`,
    data: {
      dump: {
        stamp: dump.stamp,
        name: dump.name,
        path: dump.path,
        size: dump.size,
        sha256: dump.sha256,
        plaintextSize: dump.plaintextSize,
        plaintextSha256: dump.plaintextSha256,
        encryption: run.recipients.length > 0 ? 'age' : 'none',
        recipients: run.recipients,
        compression: describeCompression(run.config.compression),
        startedAt: dump.startedAt,
        finishedAt: dump.finishedAt,
      },
      rowCounts: counted.rowCounts,
      schemaMigration: counted.schemaMigration,
      snapshotConsistent: run.snapshot !== undefined,
      durationMs: dump.durationMs,
    },
  };
}

/** Says where the upload begun during the dump stands (it goes on while the manifest is written). */
function reportUpload(upload: DumpUpload | undefined, ctx: ActionContext): void {
  const ended = upload?.ended;
  if (!upload) return;
  if (ended && 'failed' in ended) {
    ctx.output(
      `the upload to the bucket during the dump failed (${ended.failed}): the dump is complete and kept here; ` +
        'the replicate step uploads it again, and if the bucket is still out of reach the next backup does',
      'warn',
    );
  } else if (!ended) ctx.output('the upload to the bucket begun during the dump ends in the replicate step');
}

export async function runBackupDump(params: DumpParams, ctx: ActionContext): Promise<ActionResult> {
  const config = backupConfigFrom(ctx.settings);
  const target = parseConnectionString(ctx.settings.require('DATABASE_URL'));
  const recipients = config.encryption === 'age' ? await recipientsFrom(ctx.settings) : [];
  const note = await ensureBackupDir(config.backupDir);
  if (note) ctx.output(note, 'warn');

  // The AWS SDK loads only when there is a bucket to upload to, while the connection opens.
  const uploading = ctx.config.bucket ? import('./dump-upload.js') : undefined;
  const client = await connect(target, ctx.signal);
  const partial: DumpRun['partial'] = {};
  ctx.onCleanup(async () => {
    if (partial.path) await unlink(partial.path).catch(() => undefined);
    notePartialUnderLock(undefined);
  }, 'remove the partial dump file');
  try {
    await checkSameSource(client, target.label, params.source);
    const snapshot = await exportSnapshot(client, (t) => ctx.output(t, 'warn'));
    const progress = new DumpProgress(params.relationBytes, (update) => ctx.progress(update));
    const upload = (await uploading)?.prepareDumpUpload(ctx);
    const dumpTarget = withCopyApplicationName(target, 'pg_dump');
    const run: DumpRun = {
      params,
      ctx,
      config,
      target: dumpTarget,
      recipients,
      client,
      snapshot,
      progress,
      partial,
      upload,
    };
    const { dumping, counts } = startDumpAndCounts(run);
    const watch = watchCopyProgress(dumpTarget, ctx.signal, (samples) => progress.onCopy(samples));
    const dump = await dumping
      .catch((error: unknown) => {
        upload?.cancel(`the dump failed: ${messageOf(error)}`);
        throw error;
      })
      .finally(() => watch.stop());
    upload?.finish({ size: dump.size, sha256: dump.sha256 });
    reportUpload(upload, ctx);
    partial.path = undefined;
    notePartialUnderLock(undefined);
    progress.finish();
    const counted = await countsOrEmpty(counts, ctx);
    await client.query('COMMIT').catch(() => undefined);
    return dumpResult(run, dump, counted);
  } finally {
    await client.end().catch(() => undefined);
  }
}
