import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import { before, describe, it } from 'node:test';
import { verify } from '@node-rs/argon2';
import type pg from 'pg';
import { UsageError } from '../../src/core/errors.js';
import { redact } from '../../src/core/redact.js';
import { keyFingerprint } from '../../src/keys/fingerprint.js';
import {
  SecretDecryptionError,
  decryptSecret,
  generateEncryptionKey,
  parseEncryptionKey,
} from '../../src/keys/secret-value.js';
import { ENCRYPTED_COLUMNS } from '../../src/sandbox/schema/encrypted-columns.js';
import { migrate } from '../../src/sandbox/schema/migrate.js';
import { AUDIT_ACTIONS } from '../../src/sandbox/seed/audit-log.js';
import { tableRowCounts } from '../../src/sandbox/seed/row-counts.js';
import { seed, type SeedSummary } from '../../src/sandbox/seed/seed.js';
import { generateTotpSecret } from '../../src/sandbox/seed/totp-secret.js';
import { connectFresh } from './db.js';

const key = parseEncryptionKey(generateEncryptionKey());
const otherKey = parseEncryptionKey(generateEncryptionKey());
const drill = { password: 'practice-Drill-pw-81!', totpSecret: generateTotpSecret() };

describe('seeding a small sandbox', () => {
  let client: pg.Client;
  let summary: SeedSummary;

  before(async () => {
    client = await connectFresh('seed_small');
    await migrate(client);
    summary = await seed(client, { encryptionKey: key, drill, size: { users: 60, auditEvents: 700 } });
  });

  it('gives the counts asked for and reports them', async () => {
    const counts = await tableRowCounts(client);
    assert.equal(counts.users, 60);
    assert.equal(counts.password_credentials, 60);
    assert.equal(counts.audit_log, 700);
    assert.equal(counts.tenants, 6);
    assert.equal(counts.oidc_signing_keys, 2);
    assert.equal(counts.webhooks, 11);
    assert.ok((counts.mfa_totp ?? 0) >= 1 && (counts.mfa_totp ?? 0) < 60);
    assert.deepEqual(summary.counts, counts);
    assert.equal(summary.keyFingerprint, keyFingerprint(key));
  });

  it('encrypts every value with the key given, and no other key opens it', async () => {
    let checked = 0;
    for (const { table, key: keyColumn, column } of ENCRYPTED_COLUMNS) {
      const rows = await client.query<{ id: string; value: string }>(
        `SELECT ${keyColumn}::text AS id, ${column} AS value FROM ${table}`,
      );
      assert.ok(rows.rows.length > 0, `${table} has rows`);
      for (const row of rows.rows) {
        assert.equal(decryptSecret(row.value, [otherKey, key]).keyIndex, 1);
        assert.throws(() => decryptSecret(row.value, [otherKey]), SecretDecryptionError);
        checked++;
      }
    }
    assert.ok(checked >= 14);
  });

  it("stores decryptable plaintexts in Obexal's forms: base32 TOTP, PKCS#8 PEM, webhook secret", async () => {
    const totp = await client.query<{ secret_enc: string }>('SELECT secret_enc FROM mfa_totp');
    for (const row of totp.rows) assert.match(decryptSecret(row.secret_enc, [key]).plaintext, /^[A-Z2-7]{32}$/);
    const hooks = await client.query<{ secret_enc: string }>('SELECT secret_enc FROM webhooks');
    for (const row of hooks.rows)
      assert.match(decryptSecret(row.secret_enc, [key]).plaintext, /^whsec_[A-Za-z0-9_-]{32}$/);
  });

  it('makes one active and one retired RSA-2048 signing key whose public JWK matches the private key', async () => {
    const keys = await client.query<{
      kid: string;
      alg: string;
      status: string;
      public_jwk: Record<string, string>;
      private_key_enc: string;
      retired_at: Date | null;
    }>('SELECT kid, alg, status, public_jwk, private_key_enc, retired_at FROM oidc_signing_keys ORDER BY created_at');
    assert.deepEqual(
      keys.rows.map((k) => k.status),
      ['retired', 'active'],
    );
    assert.deepEqual(
      keys.rows.map((k) => k.kid),
      [summary.signingKeys.retiredKid, summary.signingKeys.activeKid],
    );
    for (const row of keys.rows) {
      const pem = decryptSecret(row.private_key_enc, [key]).plaintext;
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
      const privateKey = createPrivateKey(pem);
      assert.equal(privateKey.asymmetricKeyDetails?.modulusLength, 2048);
      const derived = createPublicKey(privateKey).export({ format: 'jwk' });
      assert.equal(row.public_jwk.n, derived.n);
      assert.equal(row.public_jwk.e, derived.e);
      assert.equal(row.public_jwk.kty, 'RSA');
      assert.equal(row.public_jwk.kid, row.kid);
      assert.equal(row.public_jwk.alg, 'RS256');
      assert.equal(row.public_jwk.use, 'sig');
      assert.equal(row.public_jwk.d, undefined, 'no private part in the public JWK');
      assert.equal(row.alg, 'RS256');
      assert.equal(row.retired_at === null, row.status === 'active');
    }
  });

  it('gives the drill account a real argon2id hash of its password, its TOTP seed and a full profile', async () => {
    const user = await client.query(
      `SELECT u.*, t.slug, p.hash, m.secret_enc, m.confirmed_at FROM users u JOIN tenants t ON t.id = u.tenant_id
       JOIN password_credentials p ON p.user_id = u.id JOIN mfa_totp m ON m.user_id = u.id WHERE u.id = $1`,
      [summary.drill.userId],
    );
    const row = user.rows[0];
    assert.ok(row);
    assert.equal(row.slug, 'drill');
    assert.equal(row.email, summary.drill.email);
    assert.equal(row.status, 'active');
    for (const field of ['given_name', 'family_name', 'display_name', 'job_title', 'department', 'locale'])
      assert.ok(row[field], field);
    assert.match(row.hash, /^\$argon2id\$v=19\$m=65536,t=3,p=2\$/);
    assert.equal(await verify(row.hash, drill.password), true);
    assert.equal(await verify(row.hash, `${drill.password}x`), false);
    assert.equal(decryptSecret(row.secret_enc, [key]).plaintext, drill.totpSecret);
    assert.ok(row.confirmed_at instanceof Date);
  });

  it("gives bulk users pooled argon2id hashes at Obexal's parameters", async () => {
    const hashes = await client.query<{ hash: string }>('SELECT DISTINCT hash FROM password_credentials');
    assert.ok(hashes.rows.length <= 9);
    for (const { hash } of hashes.rows) assert.match(hash, /^\$argon2id\$v=19\$m=65536,t=3,p=2\$/);
  });

  it("writes an audit log that looks like Obexal's, within the last 90 days for the bulk events", async () => {
    const rows = await client.query<{
      action: string;
      ip: string;
      user_agent: string;
      metadata: Record<string, unknown>;
      created_at: Date;
      actor_email: string | null;
    }>('SELECT action, ip, user_agent, metadata, created_at, actor_email FROM audit_log WHERE id > 2');
    const since = Date.now() - 90 * 86_400_000 - 60_000;
    const actions = new Set<string>();
    for (const row of rows.rows) {
      actions.add(row.action);
      assert.ok(AUDIT_ACTIONS.includes(row.action), row.action);
      assert.ok(isIP(row.ip) !== 0, row.ip);
      assert.ok(row.user_agent.length > 5);
      assert.match(String(row.metadata.request_id), /^req_[0-9a-f]{32}$/);
      assert.ok(row.created_at.getTime() >= since && row.created_at.getTime() <= Date.now() + 60_000);
      assert.match(row.actor_email ?? '', /^[a-z]+\.[a-z]+\.\d+@[a-z-]+\.example$|^drill@/);
    }
    for (const expected of [
      'auth.login.succeeded',
      'auth.login.failed',
      'auth.mfa.succeeded',
      'oauth.token.issued',
      'user.updated',
    ]) {
      assert.ok(actions.has(expected), expected);
    }
    const rotated = await client.query(`SELECT metadata FROM audit_log WHERE action = 'oauth.signing_key.rotated'`);
    assert.equal(rotated.rows[0]?.metadata.new_kid, summary.signingKeys.activeKid);
  });

  it('registers the drill secrets with the redaction layer', () => {
    assert.equal(redact(`pw ${drill.password} seed ${drill.totpSecret}`), 'pw [redacted] seed [redacted]');
  });

  it('refuses to seed a database twice', async () => {
    await assert.rejects(seed(client, { encryptionKey: key, drill, size: { users: 2, auditEvents: 0 } }), UsageError);
  });
});

describe('seeding edge cases', () => {
  it('refuses an unmigrated database and a bad TOTP seed', async () => {
    const client = await connectFresh('seed_unmigrated');
    await assert.rejects(seed(client, { encryptionKey: key, drill }), UsageError);
    await migrate(client);
    await assert.rejects(
      seed(client, { encryptionKey: key, drill: { ...drill, totpSecret: 'not-base32' } }),
      UsageError,
    );
  });

  it('crosses the bulk chunk boundaries with exact counts', async () => {
    const client = await connectFresh('seed_chunks');
    await migrate(client);
    const summary = await seed(client, { encryptionKey: key, drill, size: { users: 10_003, auditEvents: 100_004 } });
    assert.equal(summary.counts.users, 10_003);
    assert.equal(summary.counts.password_credentials, 10_003);
    assert.equal(summary.counts.audit_log, 100_004);
    const emails = await client.query<{ n: string }>('SELECT count(DISTINCT email) AS n FROM users');
    assert.equal(Number(emails.rows[0]?.n), 10_003);
  });

  it('with a single user seeds only the drill account and the fixed rows', async () => {
    const client = await connectFresh('seed_one');
    await migrate(client);
    const summary = await seed(client, { encryptionKey: key, drill, size: { users: 1, auditEvents: 1 } });
    assert.equal(summary.counts.users, 1);
    assert.equal(summary.counts.audit_log, 1);
    assert.equal(summary.counts.mfa_totp, 1);
  });
});
