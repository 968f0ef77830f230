/**
 * Runs pg_restore into a database with `--verbose`, turning its item lines and the server's COPY progress into
 * progress (restore-progress.ts). The password reaches pg_restore only through PGPASSWORD in its own
 * environment; its other output goes to the journal.
 */
import { availableParallelism } from 'node:os';
import { startProcess, type ProcessResult } from '../core/exec.js';
import { StepFailedError } from '../core/errors.js';
import type { ProgressUpdate } from '../engine/action.js';
import { ownConnection, watchCopyProgress, withCopyApplicationName } from '../pg/copy-progress.js';
import { childEnvFor, type PgTarget } from '../pg/target.js';
import { RestoreProgress } from './restore-progress.js';
import { connectMaintenance } from './server.js';

/** Below this archive size one job is faster on small machines (measured: see the report / MEASURED.md). */
export const PARALLEL_THRESHOLD_BYTES = 64 * 1024 * 1024;

export function chooseJobs(wanted: 'auto' | number, archiveBytes: number, singleTransaction: boolean): number {
  if (singleTransaction) return 1; // pg_restore cannot combine --single-transaction with --jobs
  if (wanted !== 'auto') return Math.max(1, wanted);
  if (archiveBytes < PARALLEL_THRESHOLD_BYTES) return 1;
  return Math.max(1, Math.min(4, availableParallelism()));
}

const SERIAL_ITEM = /^pg_restore: (?:creating|executing|processing data for table|processing item) (.*)$/;
const PARALLEL_DONE = /^pg_restore: finished item \d+ (.*)$/;

export interface PgRestoreOptions {
  program: string;
  file: string;
  /** Where to restore (its `database` is the one written). */
  target: PgTarget;
  args: string[];
  jobs: number;
  totalItems: number;
  rowCounts: Readonly<Record<string, number>>;
  signal: AbortSignal;
  /**
   * Settings for pg_restore's own sessions only (PGOPTIONS in its environment). A server or pooler that refuses
   * them at connection (a setting the role may not change, a pooler that rejects `options`) fails pg_restore before
   * it restores anything: it runs again without them, after `onWarn`.
   */
  sessionSettings?: Readonly<Record<string, string>>;
  onWarn?(text: string): void;
  onProgress(update: ProgressUpdate): void;
  onLine(line: string): void;
}

function pgRestoreArgs(options: PgRestoreOptions, parallel: boolean): string[] {
  return [
    '--verbose',
    '--exit-on-error',
    `--dbname=${options.target.database}`,
    ...(parallel ? [`--jobs=${options.jobs}`] : []),
    ...options.args,
    options.file,
  ];
}

/** Routes one output line: an item line to progress, pg_restore's chatter nowhere, anything else to the journal. */
function routeLine(line: string, parallel: boolean, onItem: (what: string) => void, onLine: (line: string) => void) {
  const serial = parallel ? undefined : SERIAL_ITEM.exec(line);
  const finished = parallel ? PARALLEL_DONE.exec(line) : undefined;
  // "processing data for table "public.users"": the group holds the name alone; the item says what it is.
  if (serial)
    onItem(
      `${line.startsWith('pg_restore: processing data for table ') ? 'data for table ' : ''}${serial[1] as string}`,
    );
  else if (finished) onItem(finished[1] as string);
  else if (
    !/^pg_restore: (launching item|processing item|connecting|entering|creating|executing|processing)/.test(line)
  )
    onLine(line);
}

function pgRestoreFailed(exitCode: number, stderrTail: readonly string[]): StepFailedError {
  return new StepFailedError(
    `pg_restore failed (exit ${exitCode}):\n  ${stderrTail
      .filter((l) => !/^pg_restore: (creating|processing|executing|launching|finished)/.test(l))
      .slice(-6)
      .join('\n  ')}`,
    "read pg_restore's messages above (a missing role: restore with the roles created first, or " +
      'set noOwner in the runbook step)',
  );
}

/** PGOPTIONS for these settings: `-c name=value`, spaces and backslashes in values escaped as libpq reads them. */
export function pgOptionsOf(settings: Readonly<Record<string, string>>): string {
  return Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value.replace(/[\\ ]/g, (c) => `\\${c}`)}`)
    .join(' ');
}

const CONNECT_FAILED = /connection to server .*failed|could not connect/i;
const SETTING_REFUSED = new RegExp(
  [
    'permission denied to set parameter',
    'unsupported startup parameter',
    'unrecognized configuration parameter',
    'invalid value for parameter',
  ].join('|'),
  'i',
);

/** pg_restore failed at its first connection because of PGOPTIONS (nothing was restored yet). */
export function refusedSessionSettings(stderrTail: readonly string[]): boolean {
  const text = stderrTail.join('\n');
  return CONNECT_FAILED.test(text) && SETTING_REFUSED.test(text);
}

async function runOnce(
  options: PgRestoreOptions,
  progress: RestoreProgress,
  target: PgTarget,
  pgOptions: string,
): Promise<ProcessResult> {
  const parallel = options.jobs > 1;
  const env = childEnvFor(target);
  if (pgOptions) env.PGOPTIONS = pgOptions;
  const { done } = startProcess({
    file: options.program,
    args: pgRestoreArgs(options, parallel),
    env,
    signal: options.signal,
    label: `pg_restore into ${options.target.label}`,
    onLine: (line) =>
      routeLine(
        line,
        parallel,
        (what) => progress.onItem(what),
        (other) => options.onLine(other),
      ),
  });
  const watch = watchCopyProgress(target, options.signal, (samples) => progress.onCopy(samples), {
    connectTo: (signal) => connectMaintenance(ownConnection(options.target), signal),
  });
  return done.finally(() => watch.stop());
}

export async function runPgRestore(options: PgRestoreOptions): Promise<{ durationMs: number; settings: boolean }> {
  const started = Date.now();
  const progress = new RestoreProgress(options, (update) => options.onProgress(update));
  const target = withCopyApplicationName(options.target, 'pg_restore');
  const pgOptions = pgOptionsOf(options.sessionSettings ?? {});
  let result = await runOnce(options, progress, target, pgOptions);
  const refused = pgOptions !== '' && result.exitCode !== 0 && refusedSessionSettings(result.stderrTail);
  if (refused) {
    options.onWarn?.(
      `the server refused pg_restore's session settings (${pgOptions}): restoring without them ` +
        `(${
          result.stderrTail
            .filter((l) => /FATAL|ERROR/.test(l))
            .slice(-1)[0]
            ?.trim() ?? 'connection refused'
        })`,
    );
    result = await runOnce(options, progress, target, '');
  }
  if (result.exitCode !== 0) throw pgRestoreFailed(result.exitCode, result.stderrTail);
  return { durationMs: Date.now() - started, settings: pgOptions !== '' && !refused };
}
