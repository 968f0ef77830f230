/**
 * reencrypt-secrets failing after an in-place restore (the auth-service killed midway through its batches; swap
 * mode re-encrypts the copy before the swap instead, swap-order.test.ts): the run
 * fails with the state of the database counted from the database itself (values under the current key, under
 * the older era's key), says which keys the auth-service needs meanwhile and how to finish; the decrypted dump
 * is gone; then following the message (`--resume`, without restoring again) finishes the job.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { decryptSecret, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import type { SandboxDatabase } from '../helpers/sandbox-db.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import {
  AUTH_SERVICE_BIN,
  ageKeyPair,
  databasesLike,
  privateTmp,
  SANDBOX_AUTH_SERVICE_EXEC,
  withPg,
  type MadeDump,
} from './fixture.js';
import { rotatedSource, type RotatedSource } from './rotated-source.js';

const clusterReady = withCluster();
const DIES_MIDWAY_EXEC = JSON.stringify([
  process.execPath,
  join(import.meta.dirname, 'dies-midway.mjs'),
  AUTH_SERVICE_BIN,
  '{subcommand}',
  '{args}',
]);
const COLUMNS = [
  ['mfa_totp', 'secret_enc'],
  ['oidc_signing_keys', 'private_key_enc'],
  ['webhooks', 'secret_enc'],
] as const;

/** Values of the known schema under each key: [under the first, under the second, under neither]. */
async function keyCounts(url: string, first: string, second: string): Promise<[number, number, number]> {
  const keys = [parseEncryptionKey(first), parseEncryptionKey(second)];
  const counts: [number, number, number] = [0, 0, 0];
  await withPg(url, async (client) => {
    for (const [table, column] of COLUMNS) {
      for (const row of (
        await client.query<{ v: string }>(`SELECT ${column} AS v FROM ${table} WHERE ${column} IS NOT NULL`)
      ).rows) {
        try {
          counts[decryptSecret(row.v, keys).keyIndex as 0 | 1] += 1;
        } catch {
          counts[2] += 1;
        }
      }
    }
  });
  return counts;
}

describe('reencrypt-secrets failing after a restore', () => {
  let db: SandboxDatabase;
  let keyA: string;
  let keyB: string;
  let dump: MadeDump;
  let home: ReturnType<typeof testHome>;
  let identity: Awaited<ReturnType<typeof ageKeyPair>>;
  let runId = '';
  let source: RotatedSource;
  let deletedUser = '';

  before(async () => {
    const cluster = await clusterReady;
    // The auth-service re-encrypts one table after another: killed after its first batch, the other tables are not done.
    source = await rotatedSource(cluster, { prefix: 'reenc_fail', users: 600, auditEvents: 2000, dumpAgeMs: 60_000 });
    ({ db, home, identity, dump, keyA, keyB } = source);
    // An account erased after the dump: the restore brings it back, and the resumed run must still say so.
    deletedUser = await withPg(db.url, async (client) => {
      const user = (
        await client.query<{ id: string; tenant_id: string }>(
          `SELECT id, tenant_id FROM users WHERE email <> $1 ORDER BY created_at LIMIT 1`,
          [db.drill.email],
        )
      ).rows[0]!;
      await client.query(
        `INSERT INTO audit_log (tenant_id, action, target) VALUES ($1, 'user.deleted', 'user:' || $2)`,
        [user.tenant_id, user.id],
      );
      await client.query('DELETE FROM users WHERE id = $1', [user.id]);
      return user.id;
    });
    await handToOwner();
  });

  let ownerUrl = '';

  /**
   * In place (issue 11's new swap order re-encrypts the copy before the swap, so only in-place mode re-encrypts a
   * restored database): the database and its objects handed to an owner without CREATEDB.
   */
  async function handToOwner(): Promise<void> {
    await withPg(db.url, async (client) => {
      await client.query(
        `DO $$ BEGIN CREATE ROLE reenc_owner LOGIN PASSWORD 'reenc-owner-pw' NOCREATEDB; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
      );
      await client.query(`ALTER DATABASE "${db.database}" OWNER TO reenc_owner`);
      // Tables (their own sequences follow them), then any sequence no column owns.
      const relations = await client.query<{ name: string; kind: string }>(
        `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'S') ORDER BY c.relkind DESC`,
      );
      for (const { name, kind } of relations.rows) {
        if (kind === 'S') await client.query(`ALTER SEQUENCE "${name}" OWNER TO reenc_owner`).catch(() => undefined);
        else await client.query(`ALTER TABLE "${name}" OWNER TO reenc_owner`);
      }
      const functions = await client.query<{ sig: string }>(
        `SELECT p.oid::regprocedure::text AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`,
      );
      for (const { sig } of functions.rows) await client.query(`ALTER FUNCTION ${sig} OWNER TO reenc_owner`);
    });
    const url = new URL(db.url);
    url.username = 'reenc_owner';
    url.password = 'reenc-owner-pw';
    ownerUrl = url.toString();
  }

  function env(tmp: string, exec: string): Record<string, string | undefined> {
    return source.env({
      TMPDIR: tmp,
      AUTH_SERVICE_EXEC: exec,
      DATABASE_URL: ownerUrl,
      BACKUP_RECIPIENTS: identity.recipient,
    });
  }

  it('fails with the counted state of the database, the keys it needs meanwhile, and how to finish', async () => {
    const tmp = privateTmp();
    const result = await runCli(['restore', dump.path], env(tmp, DIES_MIDWAY_EXEC), { timeoutMs: 300_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    if (process.env.RESTORE_TEST_DEBUG) console.log(output);
    assert.equal(result.exitCode, 1, output);
    assert.match(output, /reencrypt-secrets failed: .*137/);
    assert.match(
      output,
      new RegExp(`GDPR: 1 account\\(s\\) deleted after the dump .*: ${deletedUser}$`, 'm'),
      'ids only, and only the deletions after the dump',
    );
    assert.match(output, /is restored \(the restore itself is done and is not repeated\)/);
    const state =
      /of its (\d+) encrypted values, (\d+) open under ENCRYPTION_KEY and (\d+) still only under the older key\(s\) of era "era-a"/.exec(
        output,
      );
    assert.ok(state, output);
    const [total, underB, underA] = [Number(state[1]), Number(state[2]), Number(state[3])];
    assert.ok(underB > 0 && underA > 0, 'killed midway: some batches moved, some did not');
    assert.deepEqual(await keyCounts(db.url, keyB, keyA), [underB, underA, 0], "the counts given are the database's");
    assert.equal(underB + underA, total);
    assert.match(
      output,
      /the auth-service must run with ENCRYPTION_KEY and the key of era "era-a" in ENCRYPTION_KEY_OLD/,
    );
    assert.match(output, /what to do: .*obexal-runbook reencrypt-secrets/);
    const resume = /obexal-runbook restore --resume (\S+)/.exec(output);
    assert.ok(resume, output);
    runId = resume[1]!;

    // The restore itself happened (in place: after a safety dump, no kept database); the decrypted dump is gone.
    assert.match(output, /mode: in-place/);
    assert.match(
      output,
      /the application is stopped \(it starts after reencrypt-secrets\)|pre-restore safety dump written/,
    );
    const marker = await withPg(
      db.url,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE target = 'after-the-dump'`)).rowCount,
    );
    assert.equal(marker, 0, 'the dump was restored');
    assert.equal((await databasesLike(db.url, `${db.database}\\_\\_before\\_%`)).length, 0);
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('obexal-run-')),
      [],
    );
    // The state and the command to finish name the keys, never their values (nor the database password).
    const secrets = [keyA, keyB, identity.identity, new URL(db.url).password];
    assert.deepEqual(
      scanForSecrets([join(home.dir, 'config'), join(home.env.BACKUP_DIR!, 'records')], secrets, {
        stdout: result.stdout,
        stderr: result.stderr,
      }),
      [],
    );
  });

  it('--resume finishes the re-encryption without restoring again', async () => {
    assert.ok(runId, 'the first test gave a run id');
    await withPg(db.url, (c) =>
      c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'between-the-runs')`),
    );
    const tmp = privateTmp();
    const result = await runCli(['restore', '--resume', runId], env(tmp, SANDBOX_AUTH_SERVICE_EXEC), {
      timeoutMs: 300_000,
    });
    const output = `${result.stdout}\n${result.stderr}`;
    if (process.env.RESTORE_TEST_DEBUG) console.log(output);
    assert.equal(result.exitCode, 0, output);
    assert.match(output, /reencrypt-secrets done/);
    assert.match(
      output,
      new RegExp(`GDPR: erase again the 1 account\\(s\\) deleted after the dump: ${deletedUser}`),
      'from the inspection before the restore, not the resumed one',
    );
    assert.doesNotMatch(
      output,
      /newest event lost: test\.marker/,
      'an event written after the restore is not called lost',
    );
    const [underB, underA, none] = await keyCounts(db.url, keyB, keyA);
    assert.ok(underB > 0);
    assert.deepEqual([underA, none], [0, 0], 'every value under the current key');
    const marker = await withPg(
      db.url,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE target = 'between-the-runs'`)).rowCount,
    );
    assert.equal(marker, 1, 'the resumed run did not restore again');
    assert.equal((await databasesLike(db.url, `${db.database}\\_\\_before\\_%`)).length, 0);
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('obexal-run-')),
      [],
    );
  });
});
