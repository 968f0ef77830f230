/**
 * Obexal refuses to start when a stored secret cannot be decrypted with the keys it was given: a service that
 * started anyway would fail later, one login at a time. This reads every encrypted value once.
 */
import type { Queryable } from './db.js';
import type { EncryptedColumn } from './encrypted-columns.js';
import { EXAMPLES_NAMED, KeyReader, storedValueBatches, type UnreadableValues } from './secret-scan.js';

export interface ColumnCensus {
  column: EncryptedColumn;
  total: number;
  /** How many values read under each key (index 0 = ENCRYPTION_KEY). */
  perKey: number[];
  unreadable: UnreadableValues;
}

const BATCH = 5000;

export async function censusOfColumn(
  db: Queryable,
  column: EncryptedColumn,
  keys: readonly Buffer[],
): Promise<ColumnCensus> {
  const census: ColumnCensus = {
    column,
    total: 0,
    perKey: keys.map(() => 0),
    unreadable: { column, count: 0, examples: [] },
  };
  const reader = new KeyReader(keys);
  for await (const batch of storedValueBatches(db, column, BATCH)) {
    for (const stored of batch) {
      census.total += 1;
      const { keyIndex } = reader.read(stored);
      if (keyIndex >= 0) {
        census.perKey[keyIndex] = (census.perKey[keyIndex] ?? 0) + 1;
      } else {
        census.unreadable.count += 1;
        if (census.unreadable.examples.length < EXAMPLES_NAMED) census.unreadable.examples.push(stored.key);
      }
    }
  }
  return census;
}

export async function censusOfSecrets(
  db: Queryable,
  keys: readonly Buffer[],
  columns: readonly EncryptedColumn[],
): Promise<ColumnCensus[]> {
  const out: ColumnCensus[] = [];
  for (const column of columns) out.push(await censusOfColumn(db, column, keys));
  return out;
}
