/**
 * Identifiers: one quoting rule for SQL, and tables keyed by schema and name as two parts, never as a dotted
 * string cut at its first dot (`public."odd.name"`, `"my.schema".t`, `public."sales.orders"` and `sales.orders`
 * are four different tables and four different keys).
 *
 * A table key is how manifests, inspections and messages name a table: each part bare when it is a plain
 * lower-case identifier, else double-quoted with `"` doubled; the schema is left out for `public` (the form
 * manifests have always used for public tables, so old manifests read the same). Old manifests also keyed
 * other tables as `schema.table` unquoted, which this form reads the same way; only an old key of a name that
 * itself holds a dot is ambiguous, and `tableKeyCandidates` lists its readings.
 */

export interface TableRef {
  schema: string;
  name: string;
}

const BARE = /^[a-z_][a-z0-9_]*$/;

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `"schema"."name"`, for SQL. */
export function qualifiedName(table: TableRef): string {
  return `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}

function keyPart(part: string): string {
  return BARE.test(part) ? part : quoteIdent(part);
}

/** `users`, `sales.orders`, `"odd.name"`, `"my.schema".t`, `"Ünïcode ""q"""`. */
export function tableKey(table: TableRef): string {
  return table.schema === 'public' ? keyPart(table.name) : `${keyPart(table.schema)}.${keyPart(table.name)}`;
}

/** The key with its schema always written (for messages where `public` should show). */
export function tableLabel(table: TableRef): string {
  return `${keyPart(table.schema)}.${keyPart(table.name)}`;
}

/** Splits `a."b.c"` into `['a', 'b.c']`; undefined when a quote is left open or a part is empty. */
function splitKey(text: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        current += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') {
      quoted = true;
      wasQuoted = true;
    } else if (c === '.') {
      if (current === '' && !wasQuoted) return undefined;
      parts.push(current);
      current = '';
      wasQuoted = false;
    } else current += c;
  }
  if (quoted || (current === '' && !wasQuoted)) return undefined;
  parts.push(current);
  return parts;
}

/**
 * What a key can mean, the intended reading first. A key written by this module has exactly one reading; an
 * unquoted key with dots from an old manifest may also be a public table whose name holds the dots.
 */
export function tableKeyCandidates(key: string): TableRef[] {
  const parts = splitKey(key);
  if (key.includes('"')) {
    if (parts?.length === 1) return [{ schema: 'public', name: parts[0] as string }];
    if (parts?.length === 2) return [{ schema: parts[0] as string, name: parts[1] as string }];
    return [{ schema: 'public', name: key }];
  }
  const pieces = key.split('.');
  if (pieces.length === 1) return [{ schema: 'public', name: key }];
  const readings: TableRef[] = [];
  for (let cut = 1; cut < pieces.length; cut += 1) {
    readings.push({ schema: pieces.slice(0, cut).join('.'), name: pieces.slice(cut).join('.') });
  }
  readings.push({ schema: 'public', name: key });
  return readings;
}

/** The intended reading of a key (see tableKeyCandidates). */
export function parseTableKey(key: string): TableRef {
  return tableKeyCandidates(key)[0] as TableRef;
}

/**
 * A table named in configuration: `audit_log`, `app.audit_log`, `"Odd.Name"`, `"my.schema"."t"`. Unquoted
 * parts are taken as written (as the catalog spells them), not folded to lower case. Undefined when malformed.
 */
export function parseTableSetting(text: string): TableRef | undefined {
  const parts = splitKey(text.trim());
  if (!parts || parts.length > 2 || parts.some((p) => p === '')) return undefined;
  const [first, second] = parts as [string, string | undefined];
  return second === undefined ? { schema: 'public', name: first } : { schema: first, name: second };
}

export function sameTable(a: TableRef, b: TableRef): boolean {
  return a.schema === b.schema && a.name === b.name;
}
