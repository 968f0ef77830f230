/**
 * The schema profile's settings and the Obexal defaults they fall back to (DESIGN §4). Declared in core so that
 * SETTINGS lists them without core importing the profile; src/profile resolves them into tables and columns.
 */
import type { SettingDefinition } from './setting-definition.js';

export const OBEXAL_DEFAULTS = Object.freeze({
  auditTable: 'audit_log',
  auditIdColumn: 'id',
  auditActionColumn: 'action',
  auditTimeColumn: 'created_at',
  auditTargetColumn: 'target',
  deletionAction: 'user.deleted',
  migrationsTable: 'schema_migrations',
  migrationsVersionColumn: 'version',
  migrationsNameColumn: 'name',
  sessionsTable: 'sessions',
  usersTable: 'users',
  signingKeysTable: 'oidc_signing_keys',
  inspectTables: [
    'tenants',
    'users',
    'mfa_totp',
    'oidc_signing_keys',
    'webhooks',
    'sessions',
    'audit_log',
  ] as readonly string[],
});

function setting(name: string, description: string, defaultValue?: string): SettingDefinition {
  const definition: SettingDefinition = { name, description: `schema profile: ${description}` };
  if (defaultValue !== undefined) definition.default = defaultValue;
  return definition;
}

const D = OBEXAL_DEFAULTS;

export const PROFILE_SETTINGS: readonly SettingDefinition[] = [
  setting('PROFILE_AUDIT_TABLE', 'the append-only audit log (`none`: not checked)', D.auditTable),
  setting('PROFILE_AUDIT_ACTION_COLUMN', "the audit log's event name column", D.auditActionColumn),
  setting('PROFILE_AUDIT_TIME_COLUMN', "the audit log's event time column", D.auditTimeColumn),
  setting('PROFILE_AUDIT_TARGET_COLUMN', "the audit log's target column (`user:<id>`)", D.auditTargetColumn),
  setting('PROFILE_DELETION_ACTION', 'the audit action of an account deletion', D.deletionAction),
  setting('PROFILE_MIGRATIONS_TABLE', 'the applied-migrations table (`none`: not checked)', D.migrationsTable),
  setting('PROFILE_MIGRATIONS_VERSION_COLUMN', "the migrations table's version column", D.migrationsVersionColumn),
  setting('PROFILE_ENCRYPTED_COLUMNS', 'encrypted columns, table.column:key comma-separated (`none`: no key needed)'),
  setting('PROFILE_SESSIONS_TABLE', 'the sessions table (`none`: not checked)', D.sessionsTable),
  setting('PROFILE_USERS_TABLE', 'the accounts table (`none`: not checked)', D.usersTable),
  setting('PROFILE_SIGNING_KEYS_TABLE', 'the OIDC signing keys table (kid column)', D.signingKeysTable),
  setting('PROFILE_INSPECT_TABLES', 'tables the restore inspection counts, comma-separated', D.inspectTables.join(',')),
];
