/**
 * Turning WAL archiving on: the `ALTER SYSTEM` statements are computed first (shown in the plan and at the
 * confirmation), then run; archive_mode and wal_level take effect only after a restart, which the tool runs through
 * PITR_RESTART_COMMAND or, without one, asks the operator to do before running the runbook again.
 */
import type pg from 'pg';
import { StepFailedError } from '../core/errors.js';
import type { SourceCluster } from './source.js';

export interface ArchivingPlan {
  statements: string[];
  restartNeeded: boolean;
  archiveCommand: string;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function archiveCommandFor(program: string, configFile: string, stanza: string): string {
  return `${shellQuote(program)} --config=${shellQuote(configFile)} --stanza=${stanza} archive-push %p`;
}

export function planArchiving(source: SourceCluster, archiveCommand: string): ArchivingPlan {
  const statements: string[] = [];
  let restartNeeded = false;
  if (source.walLevel === 'minimal') {
    statements.push("ALTER SYSTEM SET wal_level = 'replica'");
    restartNeeded = true;
  }
  if (source.archiveMode === 'off') {
    statements.push("ALTER SYSTEM SET archive_mode = 'on'");
    restartNeeded = true;
  }
  if (source.archiveCommand !== archiveCommand)
    statements.push(`ALTER SYSTEM SET archive_command = ${sqlLiteral(archiveCommand)}`);
  return { statements, restartNeeded, archiveCommand };
}

export function describePlan(plan: ArchivingPlan, restartCommand: string | undefined): string[] {
  if (plan.statements.length === 0) return ['WAL archiving through pgBackRest is already on: nothing to change'];
  const restart = plan.restartNeeded
    ? restartCommand
      ? `then restart the server with PITR_RESTART_COMMAND (every connection is dropped for a few seconds)`
      : 'then a server restart is needed: PITR_RESTART_COMMAND is not set, so you restart it and run pitr-setup again'
    : 'then SELECT pg_reload_conf() (no restart)';
  return [...plan.statements.map((s) => `${s};`), restart];
}

export async function applyStatements(client: pg.Client, plan: ArchivingPlan): Promise<void> {
  for (const statement of plan.statements) await client.query(statement);
  await client.query('SELECT pg_reload_conf()');
}

export function restartRequiredError(label: string): StepFailedError {
  return new StepFailedError(
    `archive_mode (or wal_level) is set for ${label} but takes effect only after a server restart`,
    'restart PostgreSQL (e.g. `systemctl restart postgresql@15-main`) in a quiet moment, then run ' +
      '`obexal-runbook pitr-setup` again: it continues from here. Or set PITR_RESTART_COMMAND and run ' +
      'it again now',
  );
}
