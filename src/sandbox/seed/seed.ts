/**
 * Seeds a migrated, empty sandbox database with realistic Obexal data (DESIGN §5). The drill account's
 * password and TOTP seed are parameters (the practice vault holds them); they are registered with the
 * redaction layer and never printed.
 */
import type { ClientBase } from 'pg';
import { UsageError } from '../../core/errors.js';
import { addSecret } from '../../core/redact.js';
import { keyFingerprint } from '../../keys/fingerprint.js';
import { currentSchemaVersion } from '../schema/migrate.js';
import { BASE_SCHEMA_VERSION } from '../schema/migrations.js';
import { AUDIT_WINDOW_DAYS, insertBulkAuditLog } from './audit-log.js';
import { insertBulkUsers } from './bulk-users.js';
import {
  DEFAULT_DRILL_EMAIL,
  SIGNING_KEY_TIMES,
  insertAuditEvents,
  insertDrillAccount,
  insertSigningKeys,
  insertTenants,
  insertWebhooks,
  type SeededTenant,
  type SpecialAuditEvent,
} from './fixed-rows.js';
import { bulkPasswordHashes, hashObexalPassword } from './password-hashes.js';
import { newSigningKey } from './signing-keys.js';
import { resolveSeedSize, type ResolvedSeedSize, type SeedSize } from './size.js';
import { tableRowCounts } from './row-counts.js';
import { DRILL_TENANT } from './vocabulary.js';

export interface DrillAccountSeed {
  password: string;
  /** Base32 TOTP secret (see generateTotpSecret). */
  totpSecret: string;
  /** Defaults to drill@drill.obexal.test. */
  email?: string;
}

export type SeedPhase = 'prepare' | 'users' | 'audit_log' | 'analyze';

export interface SeedOptions {
  /** The current era's key (ENCRYPTION_KEY, parsed): every encrypted value is written under it. */
  encryptionKey: Buffer;
  drill: DrillAccountSeed;
  size?: SeedSize;
  onProgress?: (phase: SeedPhase, done: number, total: number) => void;
}

export interface SeedSummary {
  counts: Record<string, number>;
  drill: { tenantId: string; tenantSlug: string; email: string; userId: string };
  signingKeys: { activeKid: string; retiredKid: string };
  /** Fingerprint of the key era the values were written under. */
  keyFingerprint: string;
  size: ResolvedSeedSize;
  durationMs: number;
}

const BASE32 = /^[A-Z2-7]{16,}=*$/;

/** Refuses a drill account it cannot seed, then registers its secrets with the redaction layer. */
function checkDrill(drill: DrillAccountSeed): void {
  if (!drill.password) throw new UsageError('the drill account needs a password', 'pass drill.password to seed()');
  if (!BASE32.test(drill.totpSecret)) {
    throw new UsageError(
      'the drill TOTP secret is not base32 text of at least 16 characters',
      'make one with generateTotpSecret()',
    );
  }
  addSecret(drill.password);
  addSecret(drill.totpSecret);
}

async function seedDrillAccount(
  client: ClientBase,
  tenants: SeededTenant[],
  options: SeedOptions,
  passwordHash: string,
): Promise<{ drillTenant: SeededTenant; email: string; drillUser: Awaited<ReturnType<typeof insertDrillAccount>> }> {
  const drillTenant = tenants.find((t) => t.slug === DRILL_TENANT.slug);
  if (!drillTenant) throw new Error('drill tenant missing after insert');
  const email = options.drill.email ?? DEFAULT_DRILL_EMAIL;
  const drillUser = await insertDrillAccount(client, {
    tenantId: drillTenant.id,
    email,
    passwordHash,
    totpSecret: options.drill.totpSecret,
    encryptionKey: options.encryptionKey,
  });
  return { drillTenant, email, drillUser };
}

async function checkEmptySchema(client: ClientBase): Promise<void> {
  const version = await currentSchemaVersion(client);
  if (version < BASE_SCHEMA_VERSION) {
    throw new UsageError(
      `the database is at schema version ${version}, seeding needs ${BASE_SCHEMA_VERSION}`,
      'run migrate() first',
    );
  }
  const tenants = await client.query<{ n: string }>('SELECT count(*) AS n FROM tenants');
  if (Number(tenants.rows[0]?.n) > 0) {
    throw new UsageError(
      'the database already holds tenants: seeding expects an empty schema',
      'seed a fresh database',
    );
  }
}

type SigningKey = Awaited<ReturnType<typeof newSigningKey>>;

/** The audit events the fixed rows imply: the drill account's creation and the last signing key rotation. */
function specialAuditEvents(
  drill: { tenantId: string; email: string; user: Awaited<ReturnType<typeof insertDrillAccount>> },
  activeKey: SigningKey,
  retiredKey: SigningKey,
  times: ReturnType<typeof SIGNING_KEY_TIMES>,
): SpecialAuditEvent[] {
  return [
    {
      tenantId: drill.tenantId,
      action: 'user.created',
      target: `user:${drill.user.userId}`,
      actorUserId: null,
      actorEmail: null,
      createdAt: drill.user.createdAt,
      metadata: { request_id: 'req_seed_drill_account', source: 'admin_console', email: drill.email },
    },
    {
      tenantId: null,
      action: 'oauth.signing_key.rotated',
      target: `signing_key:${activeKey.kid}`,
      actorUserId: null,
      actorEmail: null,
      createdAt: times.rotatedAt,
      metadata: {
        request_id: 'req_seed_key_rotation',
        new_kid: activeKey.kid,
        retired_kid: retiredKey.kid,
        grace_hours: 24 * 90,
      },
    },
  ];
}

/** The special events, then generated ones up to `total`, spread over the audit window. */
async function seedAuditLog(
  client: ClientBase,
  specials: SpecialAuditEvent[],
  total: number,
  progress: NonNullable<SeedOptions['onProgress']>,
): Promise<void> {
  await insertAuditEvents(client, specials);
  const now = new Date();
  await insertBulkAuditLog(client, {
    count: total - specials.length,
    from: new Date(now.getTime() - AUDIT_WINDOW_DAYS * 86_400_000),
    to: now,
    onChunk: (done) => progress('audit_log', done + specials.length, total),
  });
}

export async function seed(client: ClientBase, options: SeedOptions): Promise<SeedSummary> {
  const started = Date.now();
  checkDrill(options.drill);
  const size = resolveSeedSize(options.size);
  const key = options.encryptionKey;
  const progress = options.onProgress ?? (() => undefined);
  await checkEmptySchema(client);

  progress('prepare', 0, 1);
  const times = SIGNING_KEY_TIMES();
  const [poolHashes, drillHash, activeKey, retiredKey] = await Promise.all([
    bulkPasswordHashes(),
    hashObexalPassword(options.drill.password),
    newSigningKey(key, times.rotatedAt),
    newSigningKey(key, times.retiredCreatedAt),
  ]);

  await client.query('SET synchronous_commit TO off');
  try {
    const tenants = await insertTenants(client);
    const { drillTenant, email, drillUser } = await seedDrillAccount(client, tenants, options, drillHash);
    await insertSigningKeys(client, activeKey, retiredKey, times);
    await insertWebhooks(client, tenants, key);
    progress('prepare', 1, 1);

    const bulkUsers = size.users - 1;
    progress('users', 1, size.users);
    await insertBulkUsers(client, {
      count: bulkUsers,
      tenants: tenants.filter((t) => t.weight > 0),
      passwordHashes: poolHashes,
      encryptionKey: key,
      onChunk: (done) => progress('users', done + 1, size.users),
    });

    const specials = specialAuditEvents(
      { tenantId: drillTenant.id, email, user: drillUser },
      activeKey,
      retiredKey,
      times,
    );
    await seedAuditLog(client, specials.slice(0, size.auditEvents), size.auditEvents, progress);

    progress('analyze', 0, 1);
    await client.query('ANALYZE');
    progress('analyze', 1, 1);

    return {
      counts: await tableRowCounts(client),
      drill: { tenantId: drillTenant.id, tenantSlug: drillTenant.slug, email, userId: drillUser.userId },
      signingKeys: { activeKid: activeKey.kid, retiredKid: retiredKey.kid },
      keyFingerprint: keyFingerprint(key),
      size,
      durationMs: Date.now() - started,
    };
  } finally {
    await client.query('RESET synchronous_commit').catch(() => undefined);
  }
}
