/**
 * The schema profile's configuration (DESIGN §4 "Obexal knowledge is a profile, never a gate"): the Obexal
 * defaults (obexal.ts), each overridable by a PROFILE_* setting (environment beats configuration file). A table
 * setting takes `table`, `schema.table` or quoted parts (`"my.schema"."Odd"`); `none` turns its checks off.
 * Resolution never fails a run: a malformed value leaves that check "not checked" and says why.
 */
import { parseTableSetting, tableKey, type TableRef } from '../pg/ident.js';
import { ENCRYPTED_COLUMNS, OBEXAL_DEFAULTS, type EncryptedColumn } from './obexal.js';

export { PROFILE_SETTINGS } from '../core/profile-settings.js';

/** A table of the profile, or why there is none to check. */
export type ProfileTable = { table: TableRef; setting: string } | { table: undefined; setting: string; why: string };

export interface SchemaProfile {
  audit: ProfileTable & { id: string; action: string; createdAt: string; target: string; deletionAction: string };
  migrations: ProfileTable & { version: string; name: string };
  encryptedColumns: EncryptedColumn[];
  /** Why PROFILE_ENCRYPTED_COLUMNS was not used (malformed), if it was set. */
  encryptedColumnsProblem?: string;
  sessions: ProfileTable;
  users: ProfileTable;
  signingKeys: ProfileTable & { kid: string };
  inspectTables: TableRef[];
}

export interface SettingsReader {
  get(name: string): string | undefined;
}

const NONE = /^none$/i;

function tableOf(settings: SettingsReader | undefined, name: string, fallback: string): ProfileTable {
  const text = settings?.get(name) ?? fallback;
  if (NONE.test(text.trim())) return { table: undefined, setting: name, why: `${name}=none` };
  const table = parseTableSetting(text);
  if (!table) {
    const why = `${name}="${text}" is not a table name (write table, schema.table or "quoted"."parts")`;
    return { table: undefined, setting: name, why };
  }
  return { table, setting: name };
}

function unquote(part: string): string {
  return part.replace(/^"(.*)"$/, '$1').replaceAll('""', '"');
}

/** Splits at commas outside double quotes. */
function splitList(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  out.push(current.trim());
  return out.filter((s) => s !== '');
}

/** `mfa_totp.secret_enc:user_id` or `app.mfa_totp.secret_enc:user_id` → a column; undefined when malformed. */
export function parseEncryptedColumn(text: string): EncryptedColumn | undefined {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  const key = text.slice(colon + 1).trim();
  const path = text.slice(0, colon).trim();
  const dot = path.lastIndexOf('.');
  if (!key || dot < 0) return undefined;
  const table = parseTableSetting(path.slice(0, dot));
  const column = unquote(path.slice(dot + 1));
  if (!table || !column) return undefined;
  return { table: tableKey(table), key: unquote(key), column };
}

const defaultColumns = (): EncryptedColumn[] => ENCRYPTED_COLUMNS.map((c) => ({ ...c }));

function encryptedColumnsOf(settings: SettingsReader | undefined): { columns: EncryptedColumn[]; problem?: string } {
  const text = settings?.get('PROFILE_ENCRYPTED_COLUMNS');
  if (text === undefined || text.trim() === '') return { columns: defaultColumns() };
  if (NONE.test(text.trim())) return { columns: [] };
  const parsed = splitList(text).map((item) => ({ item, column: parseEncryptedColumn(item) }));
  const bad = parsed.filter((p) => p.column === undefined).map((p) => p.item);
  if (bad.length > 0) {
    const items = bad.map((b) => `"${b}"`).join(', ');
    const problem = `PROFILE_ENCRYPTED_COLUMNS: ${items} is not table.column:key (the defaults are used)`;
    return { columns: defaultColumns(), problem };
  }
  return { columns: parsed.map((p) => p.column as EncryptedColumn) };
}

/** The profile from PROFILE_* settings over the Obexal defaults (no settings: the defaults). */
export function resolveProfile(settings?: SettingsReader): SchemaProfile {
  const get = (name: string, fallback: string) => settings?.get(name)?.trim() || fallback;
  const encrypted = encryptedColumnsOf(settings);
  const inspect = splitList(get('PROFILE_INSPECT_TABLES', OBEXAL_DEFAULTS.inspectTables.join(',')))
    .map((t) => parseTableSetting(t))
    .filter((t): t is TableRef => t !== undefined);
  return {
    audit: {
      ...tableOf(settings, 'PROFILE_AUDIT_TABLE', OBEXAL_DEFAULTS.auditTable),
      id: OBEXAL_DEFAULTS.auditIdColumn,
      action: get('PROFILE_AUDIT_ACTION_COLUMN', OBEXAL_DEFAULTS.auditActionColumn),
      createdAt: get('PROFILE_AUDIT_TIME_COLUMN', OBEXAL_DEFAULTS.auditTimeColumn),
      target: get('PROFILE_AUDIT_TARGET_COLUMN', OBEXAL_DEFAULTS.auditTargetColumn),
      deletionAction: get('PROFILE_DELETION_ACTION', OBEXAL_DEFAULTS.deletionAction),
    },
    migrations: {
      ...tableOf(settings, 'PROFILE_MIGRATIONS_TABLE', OBEXAL_DEFAULTS.migrationsTable),
      version: get('PROFILE_MIGRATIONS_VERSION_COLUMN', OBEXAL_DEFAULTS.migrationsVersionColumn),
      name: OBEXAL_DEFAULTS.migrationsNameColumn,
    },
    encryptedColumns: encrypted.columns,
    ...(encrypted.problem ? { encryptedColumnsProblem: encrypted.problem } : {}),
    sessions: tableOf(settings, 'PROFILE_SESSIONS_TABLE', OBEXAL_DEFAULTS.sessionsTable),
    users: tableOf(settings, 'PROFILE_USERS_TABLE', OBEXAL_DEFAULTS.usersTable),
    signingKeys: { ...tableOf(settings, 'PROFILE_SIGNING_KEYS_TABLE', OBEXAL_DEFAULTS.signingKeysTable), kid: 'kid' },
    inspectTables: inspect,
  };
}
