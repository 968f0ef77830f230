/**
 * Every column that holds a value encrypted under `ENCRYPTION_KEY`: the schema's own list (ENCRYPTED_COLUMNS),
 * with the SQL type of each primary key read from the catalog so that keyset pagination uses the index.
 */
import { ENCRYPTED_COLUMNS } from '../schema/encrypted-columns.js';
import type { Queryable } from './db.js';

export interface EncryptedColumn {
  table: string;
  /** The primary key, used for keyset pagination and to name a row in messages. */
  keyColumn: string;
  /** The SQL type of the key (e.g. uuid, text), for casts of text parameters. */
  keyType: string;
  valueColumn: string;
}

const SAFE_TYPE = /^[a-z][a-z0-9 _]*$/;

export async function resolveEncryptedColumns(db: Queryable): Promise<EncryptedColumn[]> {
  const out: EncryptedColumn[] = [];
  for (const { table, key, column } of ENCRYPTED_COLUMNS) {
    const { rows } = await db.query<{ key_type: string }>(
      `SELECT format_type(a.atttypid, a.atttypmod) AS key_type
       FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`,
      [table, key],
    );
    const keyType = rows[0]?.key_type;
    if (!keyType || !SAFE_TYPE.test(keyType)) {
      throw new Error(`table ${table} or its key column ${key} is missing: is this an Obexal database?`);
    }
    out.push({ table, keyColumn: key, keyType, valueColumn: column });
  }
  return out;
}

export function describeColumn(column: EncryptedColumn): string {
  return `${column.table}.${column.valueColumn}`;
}
