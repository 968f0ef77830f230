/**
 * `reencrypt-secrets`: every encrypted value moves under ENCRYPTION_KEY, read with ENCRYPTION_KEY then each key
 * of ENCRYPTION_KEY_OLD.
 *
 * - A first pass reads everything and refuses (changing nothing) when a value opens under none of the keys.
 * - The second pass works in batches, each one UPDATE (one transaction) of up to `batchSize` rows, guarded by the
 *   old value so that a value changed meanwhile is never overwritten. Killed between two batches, the database
 *   holds values under both keys, which a reader with both keys reads: a re-run finishes the job.
 * - Values already under the current key are left alone: a second run changes nothing.
 */
import type pg from 'pg';
import { encryptSecret } from '../../keys/secret-value.js';
import { keyFingerprint, shortFingerprint } from '../../keys/fingerprint.js';
import { writeAuditEvent } from './audit.js';
import type { KeyRing } from './config.js';
import type { EncryptedColumn } from './encrypted-columns.js';
import { KeyReader, storedValueBatches, type StoredValue, type UnreadableValues } from './secret-scan.js';
import { censusOfColumn, type ColumnCensus } from './startup-check.js';

export const DEFAULT_BATCH_SIZE = 2000;

export class UnreadableSecretsError extends Error {
  readonly problems: UnreadableValues[];
  /** `check`: found by the first pass, nothing was changed; `write`: a value written meanwhile, during the second. */
  readonly phase: 'check' | 'write';
  constructor(problems: UnreadableValues[], phase: 'check' | 'write') {
    super('some encrypted values open under none of the keys given');
    this.name = 'UnreadableSecretsError';
    this.problems = problems;
    this.phase = phase;
  }
}

export interface ColumnOutcome {
  column: EncryptedColumn;
  values: number;
  /** Values found under an older key by the first pass. */
  underOldKey: number;
  reencrypted: number;
}

export interface ReencryptResult {
  columns: ColumnOutcome[];
  values: number;
  reencrypted: number;
  /** Values that changed between the read and the write of their batch (left as they were: run again). */
  skippedConcurrent: number;
  durationMs: number;
}

export interface ReencryptOptions {
  batchSize?: number;
  /** A pause after each committed batch: stands for a slow database, so that a kill between batches can be practised.
   * */
  pauseAfterBatchMs?: number;
  log: (line: string) => void;
}

export async function reencryptSecrets(
  client: pg.ClientBase,
  keys: KeyRing,
  columns: readonly EncryptedColumn[],
  options: ReencryptOptions,
): Promise<ReencryptResult> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const censuses = await checkEveryValueOpens(client, keys, columns, options.log);

  const outcomes: ColumnOutcome[] = [];
  let skippedConcurrent = 0;
  for (const census of censuses) {
    const underOldKey = census.total - (census.perKey[0] ?? 0);
    const outcome: ColumnOutcome = { column: census.column, values: census.total, underOldKey, reencrypted: 0 };
    outcomes.push(outcome);
    if (underOldKey === 0) continue;
    const reader = new KeyReader(keys.all);
    for await (const batch of storedValueBatches(client, census.column, batchSize)) {
      const moves = reencryptBatch(batch, reader, keys, census.column);
      if (moves.rowKeys.length === 0) continue;
      const updated = await updateBatch(client, census.column, moves.rowKeys, moves.oldValues, moves.newValues);
      outcome.reencrypted += updated;
      skippedConcurrent += moves.rowKeys.length - updated;
      options.log(`${census.column.table}: ${outcome.reencrypted}/${underOldKey} re-encrypted`);
      if (options.pauseAfterBatchMs) await new Promise((resolve) => setTimeout(resolve, options.pauseAfterBatchMs));
    }
  }

  const result: ReencryptResult = {
    columns: outcomes,
    values: outcomes.reduce((sum, o) => sum + o.values, 0),
    reencrypted: outcomes.reduce((sum, o) => sum + o.reencrypted, 0),
    skippedConcurrent,
    durationMs: Math.round(performance.now() - started),
  };
  await auditReencryption(client, keys, result);
  return result;
}

/** The first pass: counts each column's values per key, and refuses (changing nothing) when one opens under none. */
async function checkEveryValueOpens(
  client: pg.ClientBase,
  keys: KeyRing,
  columns: readonly EncryptedColumn[],
  log: (line: string) => void,
): Promise<ColumnCensus[]> {
  const censuses: ColumnCensus[] = [];
  for (const column of columns) {
    const census = await censusOfColumn(client, column, keys.all);
    censuses.push(census);
    const old = census.total - (census.perKey[0] ?? 0) - census.unreadable.count;
    log(`${column.table}: ${census.total} value(s), ${old} under an older key`);
  }
  const problems = censuses.map((c) => c.unreadable).filter((u) => u.count > 0);
  if (problems.length > 0) throw new UnreadableSecretsError(problems, 'check');
  return censuses;
}

/** The batch's values under an older key, re-encrypted under the current one (the old values guard the update). */
function reencryptBatch(
  batch: readonly StoredValue[],
  reader: KeyReader,
  keys: KeyRing,
  column: EncryptedColumn,
): { rowKeys: string[]; oldValues: string[]; newValues: string[] } {
  const rowKeys: string[] = [];
  const oldValues: string[] = [];
  const newValues: string[] = [];
  const unreadable: string[] = [];
  for (const stored of batch) {
    const read = reader.read(stored);
    if (read.keyIndex === 0) continue;
    if (read.keyIndex < 0 || read.plaintext === undefined) {
      unreadable.push(stored.key); // written since the first pass under a key we do not hold
      continue;
    }
    rowKeys.push(stored.key);
    oldValues.push(stored.value);
    newValues.push(encryptSecret(read.plaintext, keys.current));
  }
  if (unreadable.length > 0) {
    throw new UnreadableSecretsError([{ column, count: unreadable.length, examples: unreadable.slice(0, 5) }], 'write');
  }
  return { rowKeys, oldValues, newValues };
}

async function auditReencryption(client: pg.ClientBase, keys: KeyRing, result: ReencryptResult): Promise<void> {
  await writeAuditEvent(client, {
    action: 'crypto.secrets.reencrypted',
    target: 'encryption_key',
    metadata: {
      key_fingerprint: shortFingerprint(keyFingerprint(keys.current)),
      old_keys_given: keys.old.length,
      values: result.values,
      reencrypted: result.reencrypted,
      skipped_concurrent: result.skippedConcurrent,
      tables: Object.fromEntries(
        result.columns.map((o) => [
          o.column.table,
          { values: o.values, under_old_key: o.underOldKey, reencrypted: o.reencrypted },
        ]),
      ),
      duration_ms: result.durationMs,
      source: 'cli',
    },
  });
}

/** One statement, so one transaction: either the whole batch moves or none of it. */
async function updateBatch(
  client: pg.ClientBase,
  column: EncryptedColumn,
  rowKeys: string[],
  oldValues: string[],
  newValues: string[],
): Promise<number> {
  const { table, keyColumn, keyType, valueColumn } = column;
  const result = await client.query(
    `UPDATE ${table} AS t SET ${valueColumn} = u.new_value
     FROM unnest($1::text[], $2::text[], $3::text[]) AS u(row_key, old_value, new_value)
     WHERE t.${keyColumn} = u.row_key::${keyType} AND t.${valueColumn} = u.old_value`,
    [rowKeys, oldValues, newValues],
  );
  return result.rowCount ?? 0;
}
