/**
 * Walks the encrypted values of one column in primary-key order, a batch at a time (keyset pagination, so that a
 * walk over millions of rows holds one batch in memory), and says under which key each value reads.
 */
import { decryptSecret, SecretDecryptionError } from '../../keys/secret-value.js';
import type { Queryable } from './db.js';
import type { EncryptedColumn } from './encrypted-columns.js';

export interface StoredValue {
  /** The row's primary key as text. */
  key: string;
  value: string;
}

export interface ReadValue extends StoredValue {
  /** Index in the key list that opened it (0 = the current key); -1 when none did. */
  keyIndex: number;
  plaintext: string | undefined;
}

export async function* storedValueBatches(
  db: Queryable,
  column: EncryptedColumn,
  batchSize: number,
): AsyncGenerator<StoredValue[]> {
  const { table, keyColumn, keyType, valueColumn } = column;
  const sql =
    `SELECT ${keyColumn}::text AS key, ${valueColumn} AS value FROM ${table} ` +
    `WHERE ${valueColumn} IS NOT NULL AND ($1::text IS NULL OR ${keyColumn} > $1::${keyType}) ` +
    `ORDER BY ${keyColumn} LIMIT $2`;
  let after: string | null = null;
  for (;;) {
    const result: { rows: StoredValue[] } = await db.query<StoredValue>(sql, [after, batchSize]);
    if (result.rows.length === 0) return;
    yield result.rows;
    after = result.rows[result.rows.length - 1]!.key;
    if (result.rows.length < batchSize) return;
  }
}

/**
 * Reads values trying first the key that opened the previous one. A failed AES-GCM check costs five times a
 * successful one (Node throws), and values come in runs under the same key, so this keeps failures rare.
 */
export class KeyReader {
  private readonly keys: readonly Buffer[];
  private order: number[];

  constructor(keys: readonly Buffer[]) {
    this.keys = keys;
    this.order = keys.map((_, index) => index);
  }

  read(stored: StoredValue): ReadValue {
    for (const index of this.order) {
      try {
        const { plaintext } = decryptSecret(stored.value, [this.keys[index]!]);
        if (this.order[0] !== index) this.order = [index, ...this.order.filter((i) => i !== index)];
        return { ...stored, keyIndex: index, plaintext };
      } catch (error) {
        if (!(error instanceof SecretDecryptionError)) throw error;
        if (error.keysTried === 0) break; // not an encrypted value at all: no key will do
      }
    }
    return { ...stored, keyIndex: -1, plaintext: undefined };
  }
}

export interface UnreadableValues {
  column: EncryptedColumn;
  count: number;
  /** The first few row keys, to name in a message (never the values). */
  examples: string[];
}

export const EXAMPLES_NAMED = 5;

/** One line per column with unreadable values, naming the table, the key column and the first row keys. */
export function describeUnreadable(problems: readonly UnreadableValues[]): string {
  return problems
    .map(({ column, count, examples }) => {
      const named = examples.map((key) => `${column.keyColumn}=${key}`).join(', ');
      const more = count > examples.length ? ` and ${count - examples.length} more` : '';
      return `  ${column.table}.${column.valueColumn}: ${count} value(s) no key decrypts (${named}${more})`;
    })
    .join('\n');
}
