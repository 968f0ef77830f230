/**
 * restore.copy, the first half of swap mode (DESIGN §4 "Restore modes"): the dump restored into
 * `<db>__restore_<run id>`, created from template0 with the source database's owner, encoding and locale (ICU
 * included), and its row counts compared with the manifest. Nothing of production changes here: the checks and
 * reencrypt-secrets run on this copy next, and only restore.apply swaps it in. Until then every ending of the run
 * (a failure, Ctrl+C, SIGTERM) drops the copy; after a SIGKILL a resumed run finds it by its OID and goes on.
 */
import type pg from 'pg';
import { messageOf, StepFailedError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { connect } from '../pg/client.js';
import { parseConnectionString, type PgTarget } from '../pg/target.js';
import { findPgRestore } from './archive.js';
import { readArchiveProperties, type ArchiveProperties } from './archive-properties.js';
import { compareRowCounts } from './checks.js';
import { loadedRowCounts } from './loaded-counts.js';
import {
  createDatabaseSql,
  describeProperties,
  existingRoles,
  propertyWarning,
  readDatabaseProperties,
  specOf,
  type NewDatabaseSpec,
} from './db-properties.js';
import type { DatabaseProperties } from './db-properties-schema.js';
import { swapName } from './names.js';
import { failBeforeSwap } from './before-swap.js';
import { chooseJobs, runPgRestore } from './pg-restore-run.js';
import { quoteIdent } from '../pg/ident.js';
import { connectMaintenance, onDatabase } from './server.js';
import type { Inspection, VerifiedDump } from './types.js';

export interface CopyParams {
  target: string;
  dump: VerifiedDump;
  inspection: Inspection;
  jobs: 'auto' | number;
  noOwner: boolean;
  role?: string | undefined;
  needsReencrypt: boolean;
}

async function withAdmin<T>(
  target: PgTarget,
  work: (admin: pg.Client) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const admin = await connectMaintenance(target, signal);
  try {
    return await work(admin);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** The name a database of this OID has now, if it still exists. */
export async function nameOfOid(admin: pg.ClientBase, oid: number): Promise<string | undefined> {
  return (await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE oid = $1', [oid])).rows[0]
    ?.datname;
}

/** Copies this process renamed in (run id and OID): their cleanup has nothing to drop and asks the server nothing. */
const swappedIn = new Set<string>();

/** Said by the swap once its rename is committed (or found done by an earlier run). */
export function markSwappedIn(runId: string, oid: number): void {
  swappedIn.add(`${runId}/${oid}`);
}

/**
 * Registers the run's cleanup that drops the copy unless it was swapped in (found by its OID, so a copy that
 * became `<db>` is never touched). Runs on every ending of the run: failure, Ctrl+C, SIGTERM.
 */
export function dropCopyAtEnd(
  ctx: ActionContext,
  target: PgTarget,
  copyName: string,
  oid: () => number | undefined,
): void {
  ctx.onCleanup(async () => {
    const id = oid();
    if (id !== undefined && swappedIn.has(`${ctx.runId}/${id}`)) return;
    await withAdmin(target, async (admin) => {
      const name =
        id === undefined
          ? (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [copyName])).rowCount
            ? copyName
            : undefined
          : await nameOfOid(admin, id);
      if (name !== copyName) return;
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(copyName)} WITH (FORCE)`);
      ctx.output(
        `stopped before the swap: ${target.label} was not replaced (the copy ${copyName} was dropped)`,
        'warn',
      );
    });
  }, `drop the copy ${copyName} unless it was swapped in`);
}

export interface ChosenProperties {
  /** What the new database is given: the replaced database's own, else the dump's source's. */
  properties: DatabaseProperties | null;
  origin: 'the replaced database' | 'the manifest' | 'none';
}

/**
 * The database being replaced keeps its own properties (grants and settings made since the dump are
 * configuration of the server, not data the dump rolls back); a new database gets the dump's source's.
 */
export function chooseProperties(dump: VerifiedDump, replaced: DatabaseProperties | undefined): ChosenProperties {
  if (replaced) return { properties: replaced, origin: 'the replaced database' };
  const recorded = dump.manifest?.source.properties;
  if (recorded) return { properties: recorded, origin: 'the manifest' };
  return { properties: null, origin: 'none' };
}

// invalid locale name (42809), encoding and locale that do not match (22023), an ICU locale ICU cannot open (XX000).
const LOCALE_PROBLEM = new Set(['22023', '42809', '0A000', '22021', 'XX000']);

/**
 * CREATE DATABASE with the wanted properties. An owner role missing on this server, or one this role may not
 * give the database to, leaves the restoring role as owner; a locale the server lacks falls back to the replaced
 * database's, then to the server's default: each a warning naming the statement, never a failure.
 */
async function createCopy(
  admin: pg.ClientBase,
  copyName: string,
  wanted: NewDatabaseSpec,
  fallbacks: NewDatabaseSpec[],
  warn: (t: string) => void,
): Promise<NewDatabaseSpec> {
  const spec = { ...wanted };
  if (spec.owner && !(await existingRoles(admin, [spec.owner])).has(spec.owner)) {
    warn(
      `the source's owner role "${spec.owner}" does not exist on this server: the restored database ` +
        `is owned by the restoring role (create the role, then: ALTER DATABASE … OWNER TO "${spec.owner}")`,
    );
    delete spec.owner;
  }
  const attempts = [spec, ...fallbacks.map((f) => ({ ...f, owner: spec.owner }))];
  for (const [index, attempt] of attempts.entries()) {
    const statement = createDatabaseSql(copyName, attempt);
    try {
      await admin.query(statement);
      return attempt;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (code === '42501' && attempt.owner) {
        warn(propertyWarning(statement, error).replace('not applied', 'could not create as wanted'));
        attempts.splice(index + 1, 0, { ...attempt, owner: undefined });
        continue;
      }
      if (!LOCALE_PROBLEM.has(code) || index === attempts.length - 1) throw error;
      warn(
        `the source's locale cannot be used on this server (${messageOf(error)}): ${statement} ` +
          `failed; the restored database takes ${describeSpec(attempts[index + 1] as NewDatabaseSpec)} ` +
          `instead`,
      );
    }
  }
  throw new StepFailedError(`could not create ${copyName}`, 'read the messages above');
}

function describeSpec(spec: NewDatabaseSpec): string {
  return spec.encoding
    ? `${spec.encoding}${spec.collate ? `/${spec.collate}` : ''}` +
        `${spec.localeProvider === 'i' ? ` ICU ${spec.providerLocale ?? ''}` : ''}`
    : "the server's default locale";
}

/** The attempts after the wanted one: the replaced database's locale, then the encoding alone with locale C. */
function fallbackSpecs(wanted: NewDatabaseSpec, replaced: DatabaseProperties | undefined): NewDatabaseSpec[] {
  const specs: NewDatabaseSpec[] = [];
  if (replaced) specs.push(specOf(replaced, undefined));
  if (wanted.encoding) specs.push({ encoding: wanted.encoding, collate: 'C', ctype: 'C' });
  specs.push({});
  return specs;
}

interface CopyPlan {
  replaced: DatabaseProperties | undefined;
  chosen: ChosenProperties;
  fromArchive: ArchiveProperties | undefined;
  wanted: NewDatabaseSpec;
}

interface CopyOutput {
  info: (text: string) => void;
  warn: (text: string) => void;
}

function checkSameTarget(target: PgTarget, inspection: Inspection): void {
  if (target.label !== inspection.label) {
    throw new StepFailedError(
      `the target ${target.label} is not the one inspected and confirmed (${inspection.label})`,
      'run the restore again: it inspects and confirms the target it restores',
    );
  }
}

/** The properties the copy is created with (the replaced database's, the manifest's or the archive's), said. */
async function planProperties(
  admin: pg.ClientBase,
  params: CopyParams,
  target: PgTarget,
  pgRestore: string,
  ctx: ActionContext,
  { info, warn }: CopyOutput,
): Promise<CopyPlan> {
  const replaced = await readDatabaseProperties(admin, target.database);
  if (params.inspection.exists !== (replaced !== undefined)) {
    throw new StepFailedError(
      `${target.label} ${replaced ? 'exists now' : 'no longer exists'}, unlike at the inspection`,
      'run the restore again: it inspects and confirms again',
    );
  }
  const chosen = chooseProperties(params.dump, replaced);
  const source = params.dump.manifest?.source;
  const fromArchive = chosen.properties
    ? undefined
    : await archiveProperties(pgRestore, params.dump.plaintextPath, ctx, warn);
  const wanted: NewDatabaseSpec = chosen.properties
    ? specOf(chosen.properties)
    : (fromArchive?.spec ?? { encoding: source?.encoding, collate: source?.collate, ctype: source?.ctype });
  if (fromArchive)
    info(
      `database properties from the archive (no ` +
        `manifest): ${describeSpec(fromArchive.spec)}` +
        `${fromArchive.spec.owner ? `, owner ${fromArchive.spec.owner}` : ''}, ${fromArchive.statements.length} ` +
        `statement(s) to apply after the swap`,
    );
  if (replaced && source?.encoding && (replaced.encoding !== source.encoding || replaced.collate !== source.collate)) {
    warn(
      `the dump's source was ${source.encoding}/${source.collate ?? '?'}; ${target.database} ` +
        `is ${replaced.encoding}/${replaced.collate}: the restored database takes ${target.database}'s`,
    );
  }
  if (chosen.properties) info(`database properties from ${chosen.origin}: ${describeProperties(chosen.properties)}`);
  else if (!fromArchive)
    info(
      'no database properties recorded (no manifest, no database to replace, none in the ' +
        "archive): the server's defaults apply",
    );
  return { replaced, chosen, fromArchive, wanted };
}

async function oidOfDatabase(admin: pg.ClientBase, name: string): Promise<number> {
  return Number(
    (await admin.query<{ oid: string }>('SELECT oid::text AS oid FROM pg_database WHERE datname = $1', [name])).rows[0]
      ?.oid,
  );
}

/**
 * Settings of pg_restore's own sessions on the copy (PGOPTIONS; none needs more than a plain role may set).
 * synchronous_commit=off: each of pg_restore's many commits (every object, every table's data in parallel mode)
 * no longer waits for its WAL flush, nor for a synchronous standby. Safe because nothing uses the copy before the
 * swap: a server crash before then fails the run, and once pg_restore is done `flushCopyWal` waits until every
 * one of those commits is durable, before the counts are taken and the step ends (a resumed run goes on from a
 * copy whose restore is on disk). See docs/perf-restore-copy.md for the settings measured and not kept.
 */
export const COPY_SESSION_SETTINGS: Readonly<Record<string, string>> = { synchronous_commit: 'off' };

/**
 * A transaction that takes an xid commits with a WAL flush up to its commit record (the session's own
 * synchronous_commit), which lies after every record pg_restore's asynchronous commits wrote: all of them are then
 * durable (and on a synchronous standby).
 */
async function flushCopyWal(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT txid_current()');
}

/** The exact counts on the copy against the manifest's (from the copy's statistics where they agree). */
async function countCopy(client: pg.ClientBase, expected: Readonly<Record<string, number>>): Promise<string> {
  const counts = await compareRowCounts(client, expected, 'exact', loadedRowCounts);
  if (!counts.ok)
    throw new StepFailedError(
      `the restored copy does not hold what the manifest counted: ${counts.detail}`,
      'the dump or the restore is faulty: restore another dump',
    );
  return counts.detail;
}

/** pg_restore into the copy, then its row counts against the manifest's. */
async function restoreIntoCopy(
  params: CopyParams,
  ctx: ActionContext,
  pgRestore: string,
  jobs: number,
  into: PgTarget,
  { info, warn }: CopyOutput,
): Promise<{ durationMs: number; counted: string | undefined }> {
  const run = await runPgRestore({
    program: pgRestore,
    file: params.dump.plaintextPath,
    target: into,
    args: [...(params.noOwner ? ['--no-owner'] : []), ...(params.role ? [`--role=${params.role}`] : [])],
    jobs,
    totalItems: params.dump.archive.entries,
    rowCounts: params.dump.manifest?.rowCounts ?? {},
    signal: ctx.signal,
    sessionSettings: COPY_SESSION_SETTINGS,
    onWarn: warn,
    onProgress: (u) => ctx.progress(u),
    onLine: (line) => ctx.output(line, 'stderr'),
  });
  info(`pg_restore finished in ${(run.durationMs / 1000).toFixed(1)}s (${jobs} job${jobs > 1 ? 's' : ''})`);
  const manifest = params.dump.manifest;
  const client = await connect(into, ctx.signal);
  try {
    await flushCopyWal(client);
    if (!manifest) return { durationMs: run.durationMs, counted: undefined };
    const counted = await countCopy(client, manifest.rowCounts);
    info(`checked before the swap: ${counted}`);
    return { durationMs: run.durationMs, counted };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function copyResult(
  params: CopyParams,
  copy: { name: string; oid: number; used: NewDatabaseSpec; targetLabel: string },
  plan: CopyPlan,
  run: { durationMs: number; jobs: number; counted: string | undefined },
  warnings: string[],
): ActionResult {
  const { chosen, fromArchive } = plan;
  return {
    message: `${copy.name} holds the dump (${copy.targetLabel} is not touched yet)`,
    data: {
      database: copy.name,
      oid: copy.oid,
      reencrypt: params.needsReencrypt,
      properties: chosen.properties,
      archiveProperties: fromArchive
        ? { name: fromArchive.name, owner: fromArchive.spec.owner ?? null, statements: fromArchive.statements }
        : null,
      propertiesFrom: fromArchive ? 'the archive' : chosen.origin,
      owner: copy.used.owner ?? null,
      pgRestoreMs: run.durationMs,
      jobs: run.jobs,
      // The exact row counts taken on the copy (restore.check on this copy need not take them again).
      rowCounts: run.counted
        ? { database: copy.name, oid: copy.oid, plaintextSha256: params.dump.plaintextSha256, detail: run.counted }
        : null,
      warnings,
    },
  };
}

export async function runCopy(params: CopyParams, ctx: ActionContext): Promise<ActionResult> {
  const target = parseConnectionString(params.target);
  checkSameTarget(target, params.inspection);
  const copyName = swapName(target.database, 'restore', ctx.runId);
  // The long step of a swap, the one an operator stops: the stop dialog says what that would leave (issue 12).
  const phase = `before the swap: stopping now drops the half-restored copy; ${target.label} is not replaced`;
  ctx.output(phase, 'info', 'phase');
  const info = (text: string) => ctx.output(text, 'info');
  const warnings: string[] = [];
  const warn = (text: string) => {
    warnings.push(text);
    ctx.output(text, 'warn');
  };
  const pgRestore = await findPgRestore();
  const jobs = chooseJobs(params.jobs, params.dump.plaintextSize, false);
  let oid: number | undefined;
  let created = false;
  dropCopyAtEnd(ctx, target, copyName, () => oid);
  const admin = await connectMaintenance(target, ctx.signal).catch((error: unknown) => {
    if (ctx.signal.aborted) ctx.output(`stopped before the swap: ${target.label} was not replaced`, 'warn');
    throw error;
  });
  try {
    const plan = await planProperties(admin, params, target, pgRestore, ctx, { info, warn });
    // Left by a killed attempt of this run.
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(copyName)} WITH (FORCE)`);
    const used = await createCopy(admin, copyName, plan.wanted, fallbackSpecs(plan.wanted, plan.replaced), warn);
    created = true;
    oid = await oidOfDatabase(admin, copyName);
    info(`created ${copyName} (template0, ${describeSpec(used)}${used.owner ? `, owner ${used.owner}` : ''})`);
    const run = await restoreIntoCopy(params, ctx, pgRestore, jobs, onDatabase(target, copyName), { info, warn });
    const copy = { name: copyName, oid, used, targetLabel: target.label };
    return copyResult(params, copy, plan, { ...run, jobs }, warnings);
  } catch (error) {
    if (process.env.OBEXAL_DEBUG) ctx.output(String((error as Error).stack), 'warn');
    await admin.end().catch(() => undefined);
    const dropped = created ? await dropNow(target, copyName) : '';
    const untouched = `${target.label} was not replaced${dropped ? ` (${dropped})` : ''}`;
    failBeforeSwap(ctx, error, untouched);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** The archive's own database entries; unreadable ones are a warning (the server's defaults then apply). */
async function archiveProperties(
  pgRestore: string,
  file: string,
  ctx: ActionContext,
  warn: (t: string) => void,
): Promise<ArchiveProperties | undefined> {
  try {
    return await readArchiveProperties(pgRestore, file, await ctx.privateDir(), ctx.signal);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    warn(
      `the database-level properties could not be read from the archive (${messageOf(error)}): the ` +
        `server's defaults apply`,
    );
    return undefined;
  }
}

/** Drops the half-restored copy at once, with a fresh connection (the step's signal may be aborted). */
async function dropNow(target: PgTarget, copyName: string): Promise<string> {
  try {
    await withAdmin(target, (a) => a.query(`DROP DATABASE IF EXISTS ${quoteIdent(copyName)} WITH (FORCE)`));
    return `the half-restored ${copyName} was dropped`;
  } catch (error) {
    return `cleanup failed: ${messageOf(error)} (drop ${copyName} by hand if it exists)`;
  }
}

/** On resume: the copy still stands when a database of its OID exists (it may already be `<db>` after the swap). */
export async function copyStillDone(
  params: Pick<CopyParams, 'target'>,
  previous: Record<string, unknown>,
  ctx: ActionContext,
): Promise<boolean> {
  const oid = typeof previous.oid === 'number' ? previous.oid : undefined;
  const copyName = typeof previous.database === 'string' ? previous.database : undefined;
  if (oid === undefined || copyName === undefined) return false;
  const target = parseConnectionString(params.target);
  const name = await withAdmin(target, (admin) => nameOfOid(admin, oid), ctx.signal);
  if (name === undefined) return false;
  if (name === copyName) {
    dropCopyAtEnd(ctx, target, copyName, () => oid);
    ctx.output(`the copy ${copyName} restored by the earlier run is still there: the run goes on from it`, 'info');
  }
  return true;
}
