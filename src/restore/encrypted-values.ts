/**
 * The encrypted values (DESIGN §5) of the known schema, read either from a plaintext dump or from a database,
 * as a stream of { table, column, key, value }, in bounded memory. From a dump: `pg_restore --data-only
 * --table=<t> --file=-` prints the tables' COPY data, parsed here line by line (no database needed, nothing
 * restored). From a database: a read-only cursor, fetched in batches.
 */
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { baseChildEnv, startProcess } from '../core/exec.js';
import { StepFailedError } from '../core/errors.js';
import { parseCopyHeader, parseCopyRow } from './copy-text.js';
import { parseTableKey, qualifiedName, quoteIdent, sameTable, tableKey } from '../pg/ident.js';
import { columnsOf } from '../profile/detect.js';
import type { EncryptedColumnSpec } from './types.js';

export interface StoredValue {
  table: string;
  column: string;
  /** The row's key (for messages: an id, never the value). */
  key: string;
  value: string;
}

const FETCH_SIZE = 5_000;

type ColumnRef = { spec: EncryptedColumnSpec; ref: ReturnType<typeof parseTableKey> };
type CopyTable = { table: string; picks: { column: string; index: number }[]; keyIndex: number };

/** The encrypted columns' positions in a COPY block's header (no picks: a table of another schema). */
function copyTableOf(header: NonNullable<ReturnType<typeof parseCopyHeader>>, refs: readonly ColumnRef[]): CopyTable {
  const picks = refs
    .filter((r) => sameTable(r.ref, { schema: header.schema, name: header.table }))
    .map(({ spec: c }) => ({
      column: c.column,
      index: header.columns.indexOf(c.column),
      key: header.columns.indexOf(c.key),
    }))
    .filter((p) => p.index >= 0);
  const table = tableKey({ schema: header.schema, name: header.table });
  return { table, picks, keyIndex: picks[0]?.key ?? -1 };
}

/** Parses pg_restore's plain output line by line, yielding the non-empty values of the picked columns. */
async function* valuesInCopyText(
  input: NodeJS.ReadableStream,
  refs: readonly ColumnRef[],
): AsyncGenerator<StoredValue> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let current: CopyTable | undefined;
  for await (const line of lines) {
    if (current === undefined) {
      const header = parseCopyHeader(line);
      if (header) current = copyTableOf(header, refs);
      continue;
    }
    if (line === '\\.') {
      current = undefined;
      continue;
    }
    if (current.picks.length === 0) continue;
    const fields = parseCopyRow(line);
    const key = current.keyIndex >= 0 ? (fields[current.keyIndex] ?? '?') : '?';
    for (const pick of current.picks) {
      const value = fields[pick.index];
      if (value !== null && value !== undefined && value !== '')
        yield { table: current.table, column: pick.column, key, value };
    }
  }
}

/** Every non-null encrypted value in the dump's data for `columns`. */
export async function* valuesInDump(
  pgRestore: string,
  file: string,
  columns: readonly EncryptedColumnSpec[],
  signal: AbortSignal,
): AsyncGenerator<StoredValue> {
  if (columns.length === 0) return;
  const refs = columns.map((c) => ({ spec: c, ref: parseTableKey(c.table) }));
  // pg_restore's --table matches a name in any schema: the COPY header's schema picks the right one below.
  const tables = [...new Set(refs.map((r) => r.ref.name))];
  const stop = new AbortController();
  const { child, done } = startProcess({
    file: pgRestore,
    args: ['--data-only', '--file=-', ...tables.map((t) => `--table=${t}`), file],
    env: baseChildEnv(),
    signal: AbortSignal.any([signal, stop.signal]),
    stdoutTo: 'pipe',
    label: 'pg_restore --data-only (encrypted columns)',
  });
  const settled = done.then(
    (r) => ({ ok: true as const, r }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  let finished = false;
  let outcome: Awaited<typeof settled>;
  try {
    if (!child.stdout)
      throw new StepFailedError('pg_restore started without a standard output', 'report this as a bug');
    yield* valuesInCopyText(child.stdout, refs);
    finished = true;
  } finally {
    if (!finished) stop.abort();
    outcome = await settled;
  }
  // Reached only when the output was read to its end (an error or an early stop left through the finally above).
  if (!outcome.ok) throw outcome.e;
  if (outcome.r.exitCode !== 0) {
    throw new StepFailedError(
      `pg_restore could not read the encrypted columns from the dump ` +
        `(exit ${outcome.r.exitCode}): ${outcome.r.stderrTail.slice(-3).join(' / ')}`,
      'the archive is damaged: use another dump',
    );
  }
}

/** Every non-null encrypted value in the database's tables for `columns` (tables that do not exist are skipped). */
export async function* valuesInDatabase(
  client: pg.ClientBase,
  columns: readonly EncryptedColumnSpec[],
): AsyncGenerator<StoredValue> {
  for (const column of columns) {
    const table = parseTableKey(column.table);
    const present = await columnsOf(client, table);
    if (!present.has(column.column) || !present.has(column.key)) continue;
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    let completed = false;
    try {
      await client.query(
        `DECLARE encrypted_values NO SCROLL CURSOR FOR
           SELECT ${quoteIdent(column.key)}::text AS k, ${quoteIdent(column.column)}::text AS v
             FROM ${qualifiedName(table)} WHERE ${quoteIdent(column.column)} IS NOT NULL`,
      );
      for (;;) {
        const batch = await client.query<{ k: string; v: string }>(`FETCH ${FETCH_SIZE} FROM encrypted_values`);
        for (const row of batch.rows)
          if (row.v !== '') yield { table: column.table, column: column.column, key: row.k, value: row.v };
        if (batch.rows.length < FETCH_SIZE) break;
      }
      completed = true;
    } finally {
      // Also when the consumer stops early: the transaction and its cursor must not stay open.
      await client.query(completed ? 'COMMIT' : 'ROLLBACK').catch(() => undefined);
    }
  }
}
