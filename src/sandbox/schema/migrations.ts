/**
 * The sandbox's Obexal-compatible schema as forward-only numbered migrations (DESIGN §5). The names here are
 * a contract: the sandbox auth-service and the tool's database checks read these tables and columns.
 *
 * Each migration carries its compatibility with the previous application version: `additive` (the previous
 * app keeps working after it: a redeploy of the previous image is a valid rollback) or `breaking` (it does
 * not: rolling back needs the pre-deploy dump). The rollback runbook reads this data.
 */

export type MigrationCompatibility = 'additive' | 'breaking';

export interface Migration {
  version: number;
  name: string;
  compatibility: MigrationCompatibility;
  /** Optional migrations belong to practice scenarios and are applied only when asked for by version. */
  optional: boolean;
  description: string;
  sql: string;
}

const CORE_IDENTITY = `
CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text UNIQUE NOT NULL,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  email text NOT NULL,
  given_name text,
  family_name text,
  display_name text,
  job_title text,
  department text,
  locale text NOT NULL DEFAULT 'en',
  status text NOT NULL DEFAULT 'active',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, email)
);

CREATE TABLE password_credentials (
  user_id uuid PRIMARY KEY REFERENCES users ON DELETE CASCADE,
  hash text NOT NULL, -- PHC string, argon2id (m=65536, t=3, p=2)
  updated_at timestamptz NOT NULL DEFAULT now()
);
`;

const MFA_AND_SIGNING_KEYS = `
CREATE TABLE mfa_totp (
  user_id uuid PRIMARY KEY REFERENCES users ON DELETE CASCADE,
  secret_enc text NOT NULL, -- AES-256-GCM of the base32 secret
  confirmed_at timestamptz,
  last_used_step bigint
);

CREATE TABLE oidc_signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL DEFAULT 'RS256',
  public_jwk jsonb NOT NULL,
  private_key_enc text NOT NULL, -- AES-256-GCM of the PKCS#8 PEM
  status text NOT NULL CHECK (status IN ('active', 'retired')),
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
`;

const WEBHOOKS_AND_SESSIONS = `
CREATE TABLE webhooks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  url text NOT NULL,
  secret_enc text NOT NULL, -- AES-256-GCM of the signing secret
  events text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  token_sha256 text NOT NULL UNIQUE,
  ip text,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
`;

const AUDIT_LOG = `
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  tenant_id uuid,
  action text NOT NULL,
  target text,
  actor_user_id uuid,
  actor_email text,
  ip text,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now(),
  metadata jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_created_at_idx ON audit_log (created_at);

CREATE FUNCTION audit_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'the audit log accepts INSERT only: events are kept as written';
END;
$$;

CREATE TRIGGER audit_log_reject_update_delete
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change();

CREATE TRIGGER audit_log_reject_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change();
`;

/** Practice scenario "compatible deploy": a new nullable column; the previous app version ignores it. */
const ADD_USER_PHONE_NUMBER = `
ALTER TABLE users ADD COLUMN phone_number text;
`;

/** Practice scenario "bad migration": the previous app version still reads users.display_name. */
const RENAME_USER_DISPLAY_NAME = `
ALTER TABLE users RENAME COLUMN display_name TO full_name;
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'core_identity',
    compatibility: 'additive',
    optional: false,
    description: 'tenants, users with profile fields, password credentials',
    sql: CORE_IDENTITY,
  },
  {
    version: 2,
    name: 'mfa_and_signing_keys',
    compatibility: 'additive',
    optional: false,
    description: 'TOTP enrolment with encrypted secrets, OIDC signing keys with encrypted private keys',
    sql: MFA_AND_SIGNING_KEYS,
  },
  {
    version: 3,
    name: 'webhooks_and_sessions',
    compatibility: 'additive',
    optional: false,
    description: 'webhooks with encrypted secrets, sessions keyed by the SHA-256 of their token',
    sql: WEBHOOKS_AND_SESSIONS,
  },
  {
    version: 4,
    name: 'audit_log',
    compatibility: 'additive',
    optional: false,
    description: 'append-only audit log: a trigger rejects UPDATE, DELETE and TRUNCATE',
    sql: AUDIT_LOG,
  },
  {
    version: 5,
    name: 'users_phone_number',
    compatibility: 'additive',
    optional: true,
    description: 'adds the nullable users.phone_number (practice: a compatible deploy)',
    sql: ADD_USER_PHONE_NUMBER,
  },
  {
    version: 6,
    name: 'rename_users_display_name',
    compatibility: 'breaking',
    optional: true,
    description: 'renames users.display_name to full_name (practice: a bad migration that needs the pre-deploy dump)',
    sql: RENAME_USER_DISPLAY_NAME,
  },
];

/** The versions applied by default (the schema the sandbox auth-service expects). */
export const BASE_SCHEMA_VERSION = Math.max(...MIGRATIONS.filter((m) => !m.optional).map((m) => m.version));

/** Practice-scenario migrations by purpose. */
export const SCENARIO_MIGRATIONS = { compatible: 5, badMigration: 6 } as const;

/** Compatibility of every known migration, for the rollback runbook: version → tag. */
export const MIGRATION_COMPATIBILITY: Readonly<Record<number, MigrationCompatibility>> = Object.freeze(
  Object.fromEntries(MIGRATIONS.map((m) => [m.version, m.compatibility])),
);

export function findMigration(version: number): Migration | undefined {
  return MIGRATIONS.find((m) => m.version === version);
}
