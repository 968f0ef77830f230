/**
 * The backup's preflight: every check that can fail before anything is written, in order of cost (settings,
 * recipients, BACKUP_DIR, then the database and pg_dump), and the plan. Read-only, so `--dry-run` runs it.
 */
import { StepFailedError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { connect } from '../pg/client.js';
import { childEnvFor, parseConnectionString } from '../pg/target.js';
import { inspectBackupDir } from './backup-dir.js';
import { backupConfigFrom, compressionWords, describeCompression, parsePin, type DumpCompression } from './config.js';
import { estimateDumpBytes, previousDumpBytes } from './local-manifests.js';
import { compactUtc, dumpFileName } from './manifest.js';
import { probePgDump, resolvePgDump } from './pg-dump-program.js';
import { recipientsFrom } from './recipients.js';
import { readSourceInfo, readSourceSizes, readWalArchiving } from './source-info.js';
import { sourceLockPath } from './source-lock.js';
import { readLocalRegister } from '../eras/store.js';
import { openEras } from '../eras/register.js';
import { formatBytes } from '../core/format.js';

export interface PreflightParams {
  reason?: string | undefined;
  pin?: string | undefined;
}

type SourceReading = {
  source: Awaited<ReturnType<typeof readSourceInfo>>;
  sizes: Awaited<ReturnType<typeof readSourceSizes>>;
  wal: Awaited<ReturnType<typeof readWalArchiving>>;
};
type BackupDir = Awaited<ReturnType<typeof inspectBackupDir>>;

async function readSource(target: ReturnType<typeof parseConnectionString>, signal: AbortSignal) {
  const client = await connect(target, signal);
  try {
    const source = await readSourceInfo(client, target.label);
    const sizes = await readSourceSizes(client);
    const wal = await readWalArchiving(client);
    return { source, sizes, wal } satisfies SourceReading;
  } finally {
    await client.end().catch(() => undefined); // the readings are done; a failing close changes nothing
  }
}

/** The dump's estimated size; throws when BACKUP_DIR's disk cannot hold it. */
async function checkRoom(dir: BackupDir, reading: SourceReading, compression: DumpCompression): Promise<number> {
  const { source, sizes } = reading;
  const previous = await previousDumpBytes(dir.path, source.systemIdentifier, source.database);
  const estimate = estimateDumpBytes(sizes.databaseBytes, compression, previous);
  if (dir.freeBytes >= estimate) return estimate;
  const basis =
    previous !== undefined
      ? 'the last dump of this database plus 25%'
      : `database of ${formatBytes(sizes.databaseBytes)}`;
  throw new StepFailedError(
    `not enough free space for the dump in ${dir.path}: ${formatBytes(dir.freeBytes)} free, ` +
      `about ${formatBytes(estimate)} needed ` +
      `(${basis}): nothing was written`,
    'free space on that disk (retention prunes old dumps after a successful backup), or point ' +
      'BACKUP_DIR at a larger disk',
  );
}

export async function runBackupPreflight(params: PreflightParams, ctx: ActionContext): Promise<ActionResult> {
  // Settings first: no I/O, and a usage error (exit 2) before anything else.
  const config = backupConfigFrom(ctx.settings);
  const pin = parsePin(params.pin);
  const target = parseConnectionString(
    ctx.settings.require(
      'DATABASE_URL',
      'set DATABASE_URL=postgres://user@host:5432/obexal (or host=… dbname=… user=…), or ' +
        'PGHOST/PGDATABASE/PGUSER or PGSERVICE; the password in PGPASSWORD, ~/.pgpass or PGPASSFILE',
    ),
  );
  // Started together, awaited in the order above (a failure is reported as when they ran one after the other):
  // the recipients' parsing and `pg_dump --version` run while the database answers.
  const recipientsRead = config.encryption === 'age' ? recipientsFrom(ctx.settings) : Promise.resolve([]);
  const dirRead = inspectBackupDir(config.backupDir);
  const sourceRead = readSource(target, ctx.signal);
  const pgDumpProbe = probePgDump(childEnvFor(target), ctx.signal);
  for (const read of [dirRead, sourceRead, pgDumpProbe]) read.catch(() => undefined); // awaited below
  const recipients = await recipientsRead;
  const dir = await dirRead;
  const reading = await sourceRead;
  const { source, sizes, wal } = reading;
  const pgDump = await resolvePgDump(source.serverMajor, childEnvFor(target), ctx.signal, await pgDumpProbe);
  const estimate = await checkRoom(dir, reading, config.compression);
  const plan: PlanFacts = { config, pin, recipients, dir, reading, pgDump, estimate, reason: params.reason };
  reportPlan(plan, ctx);
  const bucket = reportOffsite(plan, ctx);
  await reportRegister(dir.path, ctx);

  return {
    message:
      `${source.target} answers (PostgreSQL ${source.serverVersion}), ` +
      `pg_dump ${pgDump.major}, ${formatBytes(dir.freeBytes)} free`,
    data: {
      source,
      databaseBytes: sizes.databaseBytes,
      relationBytes: sizes.relationBytes,
      pgDump,
      backupDir: dir.path,
      freeBytes: dir.freeBytes,
      estimatedDumpBytes: estimate,
      encryption: config.encryption,
      recipients,
      compression: describeCompression(config.compression),
      retentionDays: config.retentionDays,
      walArchiving: wal,
      pin,
      lockPath: sourceLockPath(ctx.settings.configDir, source.systemIdentifier, source.database),
      offsite: bucket ? 'bucket' : 'none',
      record: {
        source: {
          target: source.target,
          database: source.database,
          systemIdentifier: source.systemIdentifier,
          serverVersion: source.serverVersion,
        },
      },
    },
  };
}

interface PlanFacts {
  config: ReturnType<typeof backupConfigFrom>;
  pin: ReturnType<typeof parsePin>;
  recipients: string[];
  dir: BackupDir;
  reading: SourceReading;
  pgDump: Awaited<ReturnType<typeof resolvePgDump>>;
  estimate: number;
  reason: string | undefined;
}

/** What the backup will do: source, pg_dump, the dump's file and room, encryption, retention. */
function reportPlan(plan: PlanFacts, ctx: ActionContext): void {
  const info = (text: string) => ctx.output(text, 'info');
  const warn = (text: string) => ctx.output(text, 'warn');
  const { config, pin, recipients, dir, pgDump, estimate } = plan;
  const { source, sizes } = plan.reading;
  const tables = Object.keys(sizes.relationBytes).length;
  info(
    `source: ${source.target}, PostgreSQL ${source.serverVersion}, system ` +
      `identifier ${source.systemIdentifier}, ${formatBytes(sizes.databaseBytes)} in ${tables} ` +
      `table(s), ${source.encoding}`,
  );
  info(`pg_dump: ${pgDump.path} (${pgDump.version}), custom format, ${compressionWords(config.compression)}`);
  const zstd = config.compression.codec === 'zstd';
  const name = dumpFileName(compactUtc(new Date()), config.encryption === 'age', zstd);
  info(
    `dump: ${dir.path}/${name.replace(/\d{8}T\d{6}Z/, '<UTC time>')}, ` +
      `about ${formatBytes(estimate)}; ${formatBytes(dir.freeBytes)} ` +
      `free${dir.exists ? '' : ' (the folder will be created 0700)'}`,
  );
  if (dir.freeBytes < estimate * 2)
    warn(`free space in ${dir.path} is less than twice the estimated dump: the next backups may not fit`);
  if (dir.mode !== undefined && dir.mode !== 0o700)
    warn(`BACKUP_DIR ${dir.path} is mode ${dir.mode.toString(8).padStart(4, '0')}: it will be set to 0700`);
  if (config.encryption === 'age')
    info(`encryption: age, to ${recipients.length} recipient(s): ${recipients.join(', ')}`);
  else warn('BACKUP_ENCRYPTION=none: this dump will NOT be encrypted at rest (only the file mode 0600 protects it)');
  info(
    `retention: ${config.retentionDays} ` +
      `day(s)${pin ? `; this backup is pinned until ${pin.until} (${pin.duration})` : ''}; ` +
      `reason: ${plan.reason || 'scheduled'}`,
  );
}

/** The off-site copy and WAL archiving; returns S3_BUCKET. */
function reportOffsite(plan: PlanFacts, ctx: ActionContext): string | undefined {
  const { wal } = plan.reading;
  const bucket = ctx.config.bucket?.bucket;
  if (bucket) ctx.output(`off-site copy: bucket ${bucket} (checked by the bucket step)`, 'info');
  else
    ctx.output(
      'S3_BUCKET is not set: this backup will have NO off-site copy (set S3_BUCKET to replicate ' +
        'dumps to the EU bucket)',
      'warn',
    );
  if (!wal.enabled) {
    ctx.output(
      `WAL archiving is off on this server (archive_mode=${wal.archiveMode}): a daily dump loses up ` +
        `to a day of data; ` +
        'point-in-time recovery (WAL archiving, or the PITR of a managed PostgreSQL) is the reference protection',
      'warn',
    );
  }
  return bucket;
}

async function reportRegister(dir: string, ctx: ActionContext): Promise<void> {
  // An unreadable local copy counts as absent: the bucket's register is read next.
  const register = await readLocalRegister(dir).catch(() => undefined);
  if (register)
    ctx.output(
      `key eras in force: ${
        openEras(register)
          .map((e) => e.label)
          .join(', ') || 'none'
      }`,
      'info',
    );
  else
    ctx.output(
      `key-era register: no local copy yet (the bucket's is read next; if there is none, it is ` +
        `created once: ENCRYPTION_KEY and an era label are needed that time)`,
      'info',
    );
}
