/**
 * Bulk users, built server-side in chunks: profile, a password hash from the shared pool, a session for some,
 * and (client-side, since AES-GCM needs the key) an encrypted TOTP secret for a share of them.
 */
import type { ClientBase } from 'pg';
import { encryptSecret } from '../../keys/secret-value.js';
import { asciiSlug, pickIndex, pickIp, pickText } from './sql-pick.js';
import { generateTotpSecret } from './totp-secret.js';
import {
  FAMILY_NAMES,
  GIVEN_NAMES,
  IPV4_PREFIXES,
  IPV6_PREFIXES,
  LOCALES,
  ROLE_DEPARTMENTS,
  ROLE_TITLES,
  USER_AGENTS,
  USER_STATUSES,
} from './vocabulary.js';

export const USERS_PER_CHUNK = 10_000;
export const TOTP_SHARE = 0.3;
export const SESSION_SHARE = 0.25;

export interface BulkTenant {
  id: string;
  domain: string;
  weight: number;
}

export interface BulkUsersInput {
  count: number;
  tenants: readonly BulkTenant[];
  passwordHashes: readonly string[];
  encryptionKey: Buffer;
  onChunk?: (done: number) => void;
}

// $1 given, $2 given ascii, $3 family, $4 family ascii, $5 tenant ids, $6 tenant domains, $7 and $8 the
// (department, job title) pairs, $9 locales, $10 statuses, $11 hashes, $12 ipv4, $13 ipv6, $14 user agents,
// $15 first sequence number, $16 last sequence number, $17 TOTP share, $18 session share.
const CHUNK_SQL = `
WITH picks AS (
  SELECT g,
         ${pickIndex(1)} AS gi,
         ${pickIndex(3)} AS fi,
         ${pickIndex(5, 'uuid')} AS ti,
         ${pickIndex(7)} AS ri,
         random() < 0.9 AS has_title,
         ${pickText(9)} AS locale,
         ${pickText(10)} AS status,
         now() - random() * interval '3 years' AS created_at
  FROM generate_series($15::int, $16::int) AS g
), u AS (
  INSERT INTO users (tenant_id, email, given_name, family_name, display_name, job_title, department, locale,
                     status, created_at, updated_at)
  SELECT ($5::uuid[])[ti],
         ($2::text[])[gi] || '.' || ($4::text[])[fi] || '.' || g || '@' || ($6::text[])[ti],
         ($1::text[])[gi], ($3::text[])[fi], ($1::text[])[gi] || ' ' || ($3::text[])[fi],
         CASE WHEN has_title THEN ($8::text[])[ri] END, ($7::text[])[ri], locale, status, created_at,
         created_at + random() * (now() - created_at)
  FROM picks
  RETURNING id, created_at
), p AS (
  INSERT INTO password_credentials (user_id, hash, updated_at)
  SELECT id, ${pickText(11)}, created_at + random() * (now() - created_at) FROM u
), s AS (
  INSERT INTO sessions (user_id, token_sha256, ip, user_agent, created_at, expires_at)
  SELECT id, encode(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), 'hex'),
         ${pickIp(12, 13)}, ${pickText(14)}, started, started + interval '14 days'
  FROM (SELECT id, now() - random() * interval '20 days' AS started FROM u WHERE random() < $18) AS x
)
SELECT id, created_at FROM u WHERE random() < $17`;

function weightedTenants(tenants: readonly BulkTenant[]): BulkTenant[] {
  return tenants.flatMap((t) => Array<BulkTenant>(t.weight).fill(t));
}

const TOTP_INSERT = `
INSERT INTO mfa_totp (user_id, secret_enc, confirmed_at, last_used_step)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::bigint[])`;

const DAY_MS = 86_400_000;

async function enrolTotp(client: ClientBase, users: { id: string; created_at: Date }[], key: Buffer): Promise<void> {
  if (users.length === 0) return;
  const now = Date.now();
  const secrets = users.map(() => encryptSecret(generateTotpSecret(), key));
  const confirmed = users.map((u) => new Date(u.created_at.getTime() + Math.random() * (now - u.created_at.getTime())));
  const lastStep = users.map(() =>
    Math.random() < 0.7 ? Math.floor((now - Math.random() * 30 * DAY_MS) / 30_000) : null,
  );
  await client.query(TOTP_INSERT, [users.map((u) => u.id), secrets, confirmed, lastStep]);
}

/** Inserts `count` users; returns how many got a TOTP secret. */
export async function insertBulkUsers(client: ClientBase, input: BulkUsersInput): Promise<{ totp: number }> {
  const tenants = weightedTenants(input.tenants);
  const fixed = [
    GIVEN_NAMES,
    GIVEN_NAMES.map(asciiSlug),
    FAMILY_NAMES,
    FAMILY_NAMES.map(asciiSlug),
    tenants.map((t) => t.id),
    tenants.map((t) => t.domain),
    ROLE_DEPARTMENTS,
    ROLE_TITLES,
    LOCALES,
    USER_STATUSES,
    input.passwordHashes,
    IPV4_PREFIXES,
    IPV6_PREFIXES,
    USER_AGENTS,
  ];
  let totp = 0;
  for (let first = 1; first <= input.count; first += USERS_PER_CHUNK) {
    const last = Math.min(input.count, first + USERS_PER_CHUNK - 1);
    const result = await client.query<{ id: string; created_at: Date }>(CHUNK_SQL, [
      ...fixed,
      first,
      last,
      TOTP_SHARE,
      SESSION_SHARE,
    ]);
    await enrolTotp(client, result.rows, input.encryptionKey);
    totp += result.rows.length;
    input.onChunk?.(last);
  }
  return { totp };
}
