/** The hand-made part of the seed: tenants, the drill account, signing keys, webhooks, a few audit events. */
import { randomBytes } from 'node:crypto';
import type { ClientBase } from 'pg';
import { encryptSecret } from '../../keys/secret-value.js';
import type { SigningKeyRow } from './signing-keys.js';
import { DRILL_TENANT, TENANTS, WEBHOOK_EVENT_SETS, WEBHOOK_PATHS, type TenantSeed } from './vocabulary.js';

export interface SeededTenant extends TenantSeed {
  id: string;
}

const DAY_MS = 86_400_000;
const daysAgo = (days: number): Date => new Date(Date.now() - days * DAY_MS);

export async function insertTenants(client: ClientBase): Promise<SeededTenant[]> {
  const result = await client.query<{ id: string; slug: string }>(
    `INSERT INTO tenants (slug, name, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) RETURNING id, slug`,
    [TENANTS.map((t) => t.slug), TENANTS.map((t) => t.name), TENANTS.map((_, i) => daysAgo(1400 - i * 90))],
  );
  const ids = new Map(result.rows.map((r) => [r.slug, r.id]));
  return TENANTS.map((t) => ({ ...t, id: ids.get(t.slug) ?? '' }));
}

export interface DrillAccountRows {
  tenantId: string;
  email: string;
  passwordHash: string;
  totpSecret: string;
  encryptionKey: Buffer;
}

export const DRILL_PROFILE = {
  givenName: 'Dana',
  familyName: 'Reyes',
  displayName: 'Dana Reyes',
  jobTitle: 'Site Reliability Engineer',
  department: 'Platform',
  locale: 'en',
} as const;

export const DEFAULT_DRILL_EMAIL = `drill@${DRILL_TENANT.domain}`;

export async function insertDrillAccount(
  client: ClientBase,
  rows: DrillAccountRows,
): Promise<{ userId: string; createdAt: Date }> {
  const created = daysAgo(200);
  const p = DRILL_PROFILE;
  const user = await client.query<{ id: string }>(
    `INSERT INTO users (tenant_id, email, given_name, family_name, display_name, job_title, department, locale,
                        status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10) RETURNING id`,
    [
      rows.tenantId,
      rows.email,
      p.givenName,
      p.familyName,
      p.displayName,
      p.jobTitle,
      p.department,
      p.locale,
      created,
      daysAgo(12),
    ],
  );
  const userId = user.rows[0]?.id ?? '';
  await client.query('INSERT INTO password_credentials (user_id, hash, updated_at) VALUES ($1, $2, $3)', [
    userId,
    rows.passwordHash,
    daysAgo(45),
  ]);
  await client.query('INSERT INTO mfa_totp (user_id, secret_enc, confirmed_at) VALUES ($1, $2, $3)', [
    userId,
    encryptSecret(rows.totpSecret, rows.encryptionKey),
    daysAgo(199),
  ]);
  return { userId, createdAt: created };
}

export interface SigningKeyTimes {
  retiredCreatedAt: Date;
  rotatedAt: Date;
}

export const SIGNING_KEY_TIMES = (): SigningKeyTimes => ({ retiredCreatedAt: daysAgo(120), rotatedAt: daysAgo(30) });

export async function insertSigningKeys(
  client: ClientBase,
  active: SigningKeyRow,
  retired: SigningKeyRow,
  times: SigningKeyTimes,
): Promise<void> {
  const sql = `INSERT INTO oidc_signing_keys (kid, alg, public_jwk, private_key_enc, status, created_at, retired_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7)`;
  await client.query(sql, [
    retired.kid,
    retired.alg,
    retired.publicJwk,
    retired.privateKeyEnc,
    'retired',
    times.retiredCreatedAt,
    times.rotatedAt,
  ]);
  await client.query(sql, [
    active.kid,
    active.alg,
    active.publicJwk,
    active.privateKeyEnc,
    'active',
    times.rotatedAt,
    null,
  ]);
}

/** Two webhooks per customer tenant, one for the drill tenant; secrets like `whsec_…`, encrypted. */
export async function insertWebhooks(
  client: ClientBase,
  tenants: readonly SeededTenant[],
  key: Buffer,
): Promise<number> {
  const rows = tenants.flatMap((t, ti) => {
    const count = t.slug === DRILL_TENANT.slug ? 1 : 2;
    return Array.from({ length: count }, (_, i) => ({
      tenantId: t.id,
      url: `https://hooks.${t.domain}${WEBHOOK_PATHS[(ti + i) % WEBHOOK_PATHS.length]}`,
      secret: encryptSecret(`whsec_${randomBytes(24).toString('base64url')}`, key),
      events: `{${(WEBHOOK_EVENT_SETS[(ti + i) % WEBHOOK_EVENT_SETS.length] ?? []).join(',')}}`,
      createdAt: daysAgo(300 - ti * 20 - i * 7),
    }));
  });
  await client.query(
    `INSERT INTO webhooks (tenant_id, url, secret_enc, events, created_at)
     SELECT t, u, s, e::text[], c
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS x(t, u, s, e, c)`,
    [
      rows.map((r) => r.tenantId),
      rows.map((r) => r.url),
      rows.map((r) => r.secret),
      rows.map((r) => r.events),
      rows.map((r) => r.createdAt),
    ],
  );
  return rows.length;
}

export interface SpecialAuditEvent {
  tenantId: string | null;
  action: string;
  target: string;
  actorUserId: string | null;
  actorEmail: string | null;
  createdAt: Date;
  metadata: Record<string, unknown>;
}

export async function insertAuditEvents(client: ClientBase, events: readonly SpecialAuditEvent[]): Promise<void> {
  for (const e of events) {
    await client.query(
      `INSERT INTO audit_log
         (tenant_id, action, target, actor_user_id, actor_email, ip, user_agent, created_at, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        e.tenantId,
        e.action,
        e.target,
        e.actorUserId,
        e.actorEmail,
        '10.24.0.17',
        'obexal-auth-service/2.14.0',
        e.createdAt,
        e.metadata,
      ],
    );
  }
}
