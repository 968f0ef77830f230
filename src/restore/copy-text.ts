/** The COPY text format of PostgreSQL (what `pg_restore -f -` prints for table data): header and field escapes. */

export interface CopyHeader {
  schema: string;
  table: string;
  columns: string[];
}

function unquoteIdent(text: string): string {
  const t = text.trim();
  return t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t;
}

/** Splits on a separator outside double quotes. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** `COPY public.mfa_totp (user_id, secret_enc) FROM stdin;` → its parts; undefined for any other line. */
export function parseCopyHeader(line: string): CopyHeader | undefined {
  const match = /^COPY (.+?) \((.*)\) FROM stdin;$/.exec(line);
  if (!match) return undefined;
  const name = splitOutsideQuotes(match[1] as string, '.').map(unquoteIdent);
  const table = name.at(-1) ?? '';
  const schema = name.length > 1 ? (name[0] as string) : 'public';
  return { schema, table, columns: splitOutsideQuotes(match[2] as string, ',').map(unquoteIdent) };
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** One field of a COPY text row: `\N` is NULL; backslash escapes decoded. */
export function unescapeCopyField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i] as string;
    if (c !== '\\' || i + 1 >= field.length) {
      out += c;
      continue;
    }
    const next = field[i + 1] as string;
    if (next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next];
      i += 1;
    } else if (/[0-7]/.test(next)) {
      const digits = /^[0-7]{1,3}/.exec(field.slice(i + 1))?.[0] ?? next;
      out += String.fromCharCode(parseInt(digits, 8));
      i += digits.length;
    } else if (next === 'x' && /^[0-9a-fA-F]/.test(field[i + 2] ?? '')) {
      const digits = /^[0-9a-fA-F]{1,2}/.exec(field.slice(i + 2))?.[0] ?? '';
      out += String.fromCharCode(parseInt(digits, 16));
      i += 1 + digits.length;
    } else {
      out += next;
      i += 1;
    }
  }
  return out;
}

/** Splits a COPY text row into decoded fields (tabs inside values are escaped, so a plain split is exact). */
export function parseCopyRow(line: string): (string | null)[] {
  return line.split('\t').map(unescapeCopyField);
}
