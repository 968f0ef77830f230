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
import { parseConnectionString } from '../pg/target.js';
import type { PgDumpData, SourceData } from './actions/schemas.js';
import { ensureBackupDir } from './backup-dir.js';
import { backupConfigFrom } from './config.js';
import { dumpToFile } from './dump-file.js';
import { DumpProgress } from './dump-progress.js';
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

export async function runBackupDump(params: DumpParams, ctx: ActionContext): Promise<ActionResult> {
  const config = backupConfigFrom(ctx.settings);
  const target = parseConnectionString(ctx.settings.require('DATABASE_URL'));
  const recipients = config.encryption === 'age' ? await recipientsFrom(ctx.settings) : [];
  const note = await ensureBackupDir(config.backupDir);
  if (note) ctx.output(note, 'warn');

  const client = await connect(target, ctx.signal);
  let partialPath: string | undefined;
  ctx.onCleanup(async () => {
    if (partialPath) await unlink(partialPath).catch(() => undefined);
    notePartialUnderLock(undefined);
  }, 'remove the partial dump file');
  try {
    // The same server and database the preflight saw (a DNS or failover switch in between would be another source).
    const now = await readSourceInfo(client, target.label);
    if (now.systemIdentifier !== params.source.systemIdentifier || now.database !== params.source.database) {
      throw new StepFailedError(
        `${target.label} is now server ${now.systemIdentifier}/${now.database}, ` +
          `not ${params.source.systemIdentifier}/${params.source.database} as at the preflight`,
        'a failover or a DNS change happened during the run: run the backup again',
      );
    }
    const snapshot = await exportSnapshot(client, (t) => ctx.output(t, 'warn'));
    const progress = new DumpProgress(params.relationBytes, (update) => ctx.progress(update));
    // The counts start once pg_dump has imported the snapshot (its first verbose line comes after the import):
    // a count failing earlier would abort the exporting transaction and take the snapshot away from pg_dump.
    let imported!: () => void;
    const snapshotImported = new Promise<void>((resolve) => (imported = resolve));
    const dumping = dumpToFile({
      target,
      pgDump: params.pgDump,
      backupDir: config.backupDir,
      compression: config.compression,
      recipients,
      snapshot,
      signal: ctx.signal,
      onPartial: (path) => {
        partialPath = path;
        // Beside the source lock, so that whoever takes the lock over from a killed run removes this file at once.
        notePartialUnderLock(resolve(path));
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
      countInSnapshot(client, profile, snapshot !== undefined, ctx.signal, warn),
    );
    counts.catch(() => undefined); // judged after the dump
    const dump = await dumping;
    partialPath = undefined;
    notePartialUnderLock(undefined);
    progress.finish();
    let counted: Counted;
    try {
      counted = await counts;
    } catch (error) {
      // The dump is complete and verified: keep it, and say that its manifest has no row counts.
      ctx.output(`counting rows failed (${messageOf(error)}): the manifest's row counts are empty`, 'warn');
      counted = { rowCounts: {}, schemaMigration: { version: null, name: null } };
    }
    await client.query('COMMIT').catch(() => undefined);
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
          encryption: recipients.length > 0 ? 'age' : 'none',
          recipients,
          compression: String(config.compression),
          startedAt: dump.startedAt,
          finishedAt: dump.finishedAt,
        },
        rowCounts: counted.rowCounts,
        schemaMigration: counted.schemaMigration,
        snapshotConsistent: snapshot !== undefined,
        durationMs: dump.durationMs,
      },
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}
