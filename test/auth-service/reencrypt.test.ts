/**
 * `reencrypt-secrets` through the real executable: every value moves to the new key (proved by decrypting with the
 * new key alone), a second run changes nothing, a run killed with SIGKILL halfway leaves whole batches and a re-run
 * finishes the job, and a value no key opens stops it before any change.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  decryptSecret,
  encryptSecret,
  generateEncryptionKey,
  parseEncryptionKey,
} from '../../src/keys/secret-value.js';
import { ENCRYPTED_COLUMNS } from '../../src/sandbox/schema/encrypted-columns.js';
import { withCluster } from '../helpers/pg.js';
import {
  runAuthService,
  seededDatabase,
  serviceEnv,
  startAuthService,
  totpCode,
  withClient,
  type SeededDatabase,
} from './fixture.js';

const clusterReady = withCluster();

type Snapshot = Map<string, string>; // "table/key" → stored value

async function snapshot(url: string): Promise<Snapshot> {
  const out: Snapshot = new Map();
  await withClient(url, async (client) => {
    for (const { table, key, column } of ENCRYPTED_COLUMNS) {
      const { rows } = await client.query<{ k: string; v: string }>(
        `SELECT ${key}::text AS k, ${column} AS v FROM ${table}`,
      );
      for (const row of rows) out.set(`${table}/${row.k}`, row.v);
    }
  });
  return out;
}

function plaintexts(values: Snapshot, keys: Buffer[]): Map<string, string> {
  return new Map([...values].map(([where, value]) => [where, decryptSecret(value, keys).plaintext]));
}

/** How many values open under `key` alone, per table. */
function countUnder(values: Snapshot, key: Buffer): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [where, value] of values) {
    const table = where.split('/')[0]!;
    counts[table] ??= 0;
    try {
      decryptSecret(value, [key]);
      counts[table] += 1;
    } catch {
      // under another key
    }
  }
  return counts;
}

interface TableCounts {
  values: number;
  under_old_key: number;
  reencrypted: number;
}

/** The metadata of a `crypto.secrets.reencrypted` audit event (the fields the tests read). */
interface ReencryptedMetadata {
  values: number;
  reencrypted: number;
  tables: { mfa_totp: TableCounts; [table: string]: TableCounts };
  [key: string]: unknown;
}

async function reencryptEvents(url: string): Promise<ReencryptedMetadata[]> {
  const { rows } = await withClient(url, (c) =>
    c.query<{ metadata: ReencryptedMetadata }>(
      `SELECT metadata FROM audit_log WHERE action = 'crypto.secrets.reencrypted' ORDER BY id`,
    ),
  );
  return rows.map((r) => r.metadata);
}

describe('reencrypt-secrets', () => {
  let db: SeededDatabase;
  before(async () => {
    db = await seededDatabase(await clusterReady, 'auth_reencrypt', { users: 300 });
  });

  it('moves every value to ENCRYPTION_KEY; a second run changes nothing; the service then needs the new key alone', async () => {
    const newKeyText = generateEncryptionKey();
    const newKey = parseEncryptionKey(newKeyText);
    const before = await snapshot(db.url);
    const originals = plaintexts(before, [db.key]);
    assert.ok(before.size > 50);

    const env = { DATABASE_URL: db.url, ENCRYPTION_KEY: newKeyText, ENCRYPTION_KEY_OLD: db.keyText };
    const first = await runAuthService(['reencrypt-secrets'], env);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.match(first.stdout, /^mfa_totp: \d+\/\d+ re-encrypted$/m);
    assert.match(first.stdout, new RegExp(`done: ${before.size} of ${before.size} value\\(s\\) re-encrypted`));

    const after = await snapshot(db.url);
    assert.deepEqual(plaintexts(after, [newKey]), originals, 'every value opens with the new key alone, unchanged');
    for (const [where, value] of after) assert.notEqual(value, before.get(where));

    const second = await runAuthService(['reencrypt-secrets'], env);
    assert.equal(second.exitCode, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`done: 0 of ${before.size} value\\(s\\) re-encrypted`));
    assert.deepEqual(await snapshot(db.url), after, 'the second run rewrote nothing');

    const events = await reencryptEvents(db.url);
    assert.equal(events.length, 2, 'one audit event per completed run');
    assert.equal(events[0]!.reencrypted, before.size);
    assert.equal(events[0]!.values, before.size);
    assert.equal(events[0]!.tables.mfa_totp.reencrypted, countUnder(after, newKey).mfa_totp);
    assert.equal(events[1]!.reencrypted, 0);

    for (const output of [first.stdout + first.stderr, second.stdout + second.stderr]) {
      for (const secret of [newKeyText, db.keyText, decodeURIComponent(new URL(db.url).password)]) {
        assert.ok(!output.includes(secret), 'a secret reached the output');
      }
    }

    // The old key withdrawn: the service starts and a full MFA login works with the new key alone.
    const service = await startAuthService({ DATABASE_URL: db.url, ENCRYPTION_KEY: newKeyText });
    try {
      const login = await fetch(`${service.baseUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-obexal-tenant': db.drill.tenant },
        body: JSON.stringify({ email: db.drill.email, password: db.drill.password }),
      });
      const { mfaToken } = (await login.json()) as { mfaToken: string };
      const csrf = (await (await fetch(`${service.baseUrl}/v1/csrf`)).json()) as { csrfToken: string };
      const done = await fetch(`${service.baseUrl}/v1/auth/mfa`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': csrf.csrfToken,
          cookie: `obexal_csrf=${csrf.csrfToken}`,
        },
        body: JSON.stringify({ mfaToken, code: totpCode(db.drill.totpSecret) }),
      });
      assert.equal(done.status, 200);
    } finally {
      await service.stop();
    }
    // and the old key alone no longer opens anything
    const withOldOnly = await runAuthService(['serve'], serviceEnv(db, { PORT: '0' }));
    assert.equal(withOldOnly.exitCode, 1);
  });

  it('refuses, changing nothing, when a value opens under none of the keys, naming its table and row', async () => {
    const db = await seededDatabase(await clusterReady, 'auth_reencrypt_stray', { users: 50 });
    const other = parseEncryptionKey(generateEncryptionKey());
    const stray = await withClient(db.url, async (c) => {
      const { rows } = await c.query<{ id: string }>('SELECT id FROM webhooks ORDER BY id DESC LIMIT 1');
      await c.query('UPDATE webhooks SET secret_enc = $2 WHERE id = $1', [
        rows[0]!.id,
        encryptSecret('whsec_stray', other),
      ]);
      return rows[0]!.id;
    });
    const before = await snapshot(db.url);
    const events = (await reencryptEvents(db.url)).length;
    const result = await runAuthService(['reencrypt-secrets'], {
      DATABASE_URL: db.url,
      ENCRYPTION_KEY: generateEncryptionKey(),
      ENCRYPTION_KEY_OLD: db.keyText,
    });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /nothing was changed/);
    assert.match(result.stderr, new RegExp(`webhooks\\.secret_enc: 1 value\\(s\\) no key decrypts \\(id=${stray}\\)`));
    assert.doesNotMatch(result.stderr, /mfa_totp|oidc_signing_keys/);
    assert.match(result.stderr, /hint: .*ENCRYPTION_KEY_OLD/);
    assert.deepEqual(await snapshot(db.url), before);
    assert.equal((await reencryptEvents(db.url)).length, events, 'no audit event for a refused run');
  });
});

describe('reencrypt-secrets killed halfway', () => {
  it('leaves whole batches behind, and a re-run finishes the job', async () => {
    // ~30% of seeded users have TOTP: 40,000 users give several 2,000-row batches.
    const db = await seededDatabase(await clusterReady, 'auth_reencrypt_kill', { users: 40_000, auditEvents: 100 });
    const before = await snapshot(db.url);
    const originals = plaintexts(before, [db.key]);
    const totpValues = countUnder(before, db.key).mfa_totp!;
    assert.ok(totpValues >= 8_000, `enough TOTP secrets for several batches (${totpValues})`);

    const newKeyText = generateEncryptionKey();
    const newKey = parseEncryptionKey(newKeyText);
    const env = { DATABASE_URL: db.url, ENCRYPTION_KEY: newKeyText, ENCRYPTION_KEY_OLD: db.keyText };
    let killedAt: string | undefined;
    const killed = await runAuthService(['reencrypt-secrets'], env, (line, child) => {
      if (killedAt === undefined && /re-encrypted$/.test(line)) {
        killedAt = line;
        child.kill('SIGKILL');
      }
    });
    assert.equal(killed.signal, 'SIGKILL', `killed after "${killedAt}"`);

    const halfway = await snapshot(db.url);
    const underNew = countUnder(halfway, newKey);
    const underOld = countUnder(halfway, db.key);
    assert.ok(underNew.mfa_totp! > 0, 'the first batch was committed');
    assert.ok(underOld.mfa_totp! > 0, 'the run was stopped before the end');
    assert.equal(underNew.mfa_totp! % 2000, 0, 'batches are committed whole');
    assert.equal(underNew.mfa_totp! + underOld.mfa_totp!, totpValues, 'every value opens under one of the two keys');
    assert.equal((await reencryptEvents(db.url)).length, 0);

    const rerun = await runAuthService(['reencrypt-secrets'], env);
    assert.equal(rerun.exitCode, 0, rerun.stderr);
    assert.match(
      rerun.stdout,
      new RegExp(`mfa_totp: ${totpValues} value\\(s\\), ${underOld.mfa_totp} under an older key`),
    );
    const after = await snapshot(db.url);
    assert.deepEqual(plaintexts(after, [newKey]), originals, 'every value opens with the new key alone, unchanged');
    const events = await reencryptEvents(db.url);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.tables.mfa_totp.reencrypted, underOld.mfa_totp);
  });
});
