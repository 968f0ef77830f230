/** The account queries of the auth-service: login lookup, TOTP enrolment, sessions, profiles. */
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from './db.js';

export const SESSION_TTL_SECONDS = 12 * 60 * 60;

export interface LoginAccount {
  userId: string;
  tenantId: string;
  email: string;
  status: string;
  passwordHash: string | null;
  totpEnrolled: boolean;
}

export interface Profile {
  id: string;
  email: string;
  tenant: string;
  given_name: string | null;
  family_name: string | null;
  display_name: string | null;
  job_title: string | null;
  department: string | null;
  locale: string | null;
}

const LOGIN_SELECT = `
  SELECT u.id AS user_id, u.tenant_id, u.email, u.status, pc.hash AS password_hash,
         (m.user_id IS NOT NULL AND m.confirmed_at IS NOT NULL) AS totp_enrolled
  FROM tenants t
  JOIN users u ON u.tenant_id = t.id
  LEFT JOIN password_credentials pc ON pc.user_id = u.id
  LEFT JOIN mfa_totp m ON m.user_id = u.id
  WHERE t.slug = $1`;

interface LoginRow {
  user_id: string;
  tenant_id: string;
  email: string;
  status: string;
  password_hash: string | null;
  totp_enrolled: boolean;
}

/** Finds an account by tenant slug and email (exact first, then case-insensitively). */
export async function findLoginAccount(
  db: Queryable,
  tenantSlug: string,
  email: string,
): Promise<LoginAccount | undefined> {
  let result = await db.query<LoginRow>(`${LOGIN_SELECT} AND u.email = $2`, [tenantSlug, email]);
  if (result.rows.length === 0) {
    result = await db.query<LoginRow>(`${LOGIN_SELECT} AND lower(u.email) = lower($2) ORDER BY u.email LIMIT 1`, [
      tenantSlug,
      email,
    ]);
  }
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    userId: row.user_id,
    tenantId: row.tenant_id,
    email: row.email,
    status: row.status,
    passwordHash: row.password_hash,
    totpEnrolled: row.totp_enrolled,
  };
}

export async function tenantIdOf(db: Queryable, tenantSlug: string): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenantSlug]);
  return rows[0]?.id ?? null;
}

export async function totpSecretOf(db: Queryable, userId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ secret_enc: string }>(
    'SELECT secret_enc FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL',
    [userId],
  );
  return rows[0]?.secret_enc;
}

/** Records the step a code was used in; false when that step (or a later one) was already used: a replay. */
export async function claimTotpStep(db: Queryable, userId: string, step: number): Promise<boolean> {
  const result = await db.query(
    `UPDATE mfa_totp SET last_used_step = $2
     WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)`,
    [userId, step],
  );
  return result.rowCount === 1;
}

export function sessionTokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new session: the token goes to the client only, the database keeps its SHA-256. */
export async function createSession(
  db: Queryable,
  userId: string,
  context: { ip: string | null; userAgent: string | null },
): Promise<{ token: string; sessionId: string }> {
  const token = randomBytes(32).toString('base64url');
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO sessions (user_id, token_sha256, ip, user_agent, created_at, expires_at)
     VALUES ($1, $2, $3, $4, now(), now() + make_interval(secs => $5))
     RETURNING id`,
    [userId, sessionTokenDigest(token), context.ip, context.userAgent, SESSION_TTL_SECONDS],
  );
  return { token, sessionId: rows[0]!.id };
}

const PROFILE_COLUMNS = `u.id, u.email, t.slug AS tenant, u.given_name, u.family_name, u.display_name,
  u.job_title, u.department, u.locale`;

export async function profileOfUser(db: Queryable, userId: string): Promise<Profile | undefined> {
  const { rows } = await db.query<Profile>(
    `SELECT ${PROFILE_COLUMNS} FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = $1`,
    [userId],
  );
  return rows[0];
}

export async function profileOfSession(db: Queryable, token: string): Promise<Profile | undefined> {
  const { rows } = await db.query<Profile>(
    `SELECT ${PROFILE_COLUMNS}
     FROM sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = u.tenant_id
     WHERE s.token_sha256 = $1 AND s.expires_at > now() AND u.status = 'active'`,
    [sessionTokenDigest(token)],
  );
  return rows[0];
}

/**
 * Reads every table and column this service uses with LIMIT 0, so that a schema it cannot work with (a breaking
 * migration, say) stops it at start-up with the database's own message rather than at the first login.
 */
export async function checkSchemaCompatibility(db: Queryable): Promise<void> {
  await db.query(`${LOGIN_SELECT} AND u.email = $2 LIMIT 0`, ['', '']);
  await db.query(`SELECT ${PROFILE_COLUMNS}, u.status FROM users u JOIN tenants t ON t.id = u.tenant_id LIMIT 0`);
  await db.query('SELECT secret_enc, confirmed_at, last_used_step FROM mfa_totp LIMIT 0');
  await db.query('SELECT id, user_id, token_sha256, ip, user_agent, created_at, expires_at FROM sessions LIMIT 0');
  await db.query(
    'SELECT kid, alg, public_jwk, private_key_enc, status, created_at, retired_at FROM oidc_signing_keys LIMIT 0',
  );
  await db.query(
    'SELECT tenant_id, action, target, actor_user_id, actor_email, ip, user_agent, created_at, ' +
      'metadata FROM audit_log LIMIT 0',
  );
}
