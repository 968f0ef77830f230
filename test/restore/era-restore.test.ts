/**
 * The restore of a dump from an older key era, headless as Obexal's guide calls it (CONFIRM=yes DATABASE_URL=…
 * obexal-runbook restore <dump>): the dump is taken under key A, the source is then rotated to key B (era B
 * registered); the restore gets ENCRYPTION_KEY=B and the era-A key from ENCRYPTION_KEY_COMMAND. Every secret
 * must end up readable under B alone, and a drill-style login with MFA must work against the sandbox
 * auth-service started on the restored database with B only.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { decryptSecret, generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { DRILL_TENANT } from '../../src/sandbox/seed/vocabulary.js';
import { checkJwks, checkLogin, checkMe, checkMfa, OBEXAL_ENDPOINTS } from '../../src/drill/checks.js';
import { runAuthService, startAuthService } from '../auth-service/fixture.js';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import {
  ageKeyPair,
  databasesLike,
  eraOf,
  keyVault,
  makeDump,
  privateTmp,
  SANDBOX_AUTH_SERVICE_EXEC,
  withPg,
  writeRegisterFile,
  type MadeDump,
} from './fixture.js';

const clusterReady = withCluster();

describe('restore of a dump from an older key era', () => {
  let db: SandboxDatabase;
  let keyA: string;
  let keyB: string;
  let dump: MadeDump;
  let home: ReturnType<typeof testHome>;
  let identity: Awaited<ReturnType<typeof ageKeyPair>>;
  let vault: ReturnType<typeof keyVault>;
  let deletedUser: string;
  let idle: pg.Client;

  before(async () => {
    const cluster = await clusterReady;
    db = await sandboxDatabase(cluster, { prefix: 'era_restore', size: { users: 300, auditEvents: 3000 } });
    keyA = db.encryptionKey;
    keyB = generateEncryptionKey();
    home = testHome();
    identity = await ageKeyPair(home.dir);
    const eraA = eraOf('era-a', keyA);
    const eraB = eraOf('era-b', keyB);
    const dumpTime = new Date(Date.now() - 60_000);
    writeRegisterFile(home.env.BACKUP_DIR!, [
      { ...eraA, start: new Date(Date.now() - 86_400_000 * 100).toISOString(), end: null },
    ]);
    dump = await makeDump({
      url: db.url,
      backupDir: home.env.BACKUP_DIR!,
      recipient: identity.recipient,
      eras: [eraA],
      at: dumpTime,
    });

    // The rotation after the dump: every secret of the source moves to key B, era B opens.
    const rotated = await runAuthService(['reencrypt-secrets'], {
      DATABASE_URL: db.url,
      ENCRYPTION_KEY: keyB,
      ENCRYPTION_KEY_OLD: keyA,
    });
    assert.equal(rotated.exitCode, 0, rotated.stderr);
    const rotatedAt = new Date().toISOString();
    writeRegisterFile(home.env.BACKUP_DIR!, [
      { ...eraA, start: new Date(Date.now() - 86_400_000 * 100).toISOString(), end: rotatedAt },
      { ...eraB, start: rotatedAt, end: null },
    ]);
    // An account deleted after the dump (GDPR: the restore brings it back) and a session that must be ended.
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
    // Database-level settings and grants: they stay with the old database's OID on a rename; the swap reapplies them.
    await withPg(db.url, async (client) => {
      await client.query('CREATE ROLE reporting');
      await client.query(`ALTER DATABASE "${db.database}" SET statement_timeout = '45s'`);
      await client.query(`ALTER DATABASE "${db.database}" SET search_path = "$user", public`);
      await client.query(`ALTER ROLE reporting IN DATABASE "${db.database}" SET default_transaction_read_only = on`);
      await client.query(`ALTER DATABASE "${db.database}" CONNECTION LIMIT 40`);
      await client.query(`REVOKE ALL ON DATABASE "${db.database}" FROM PUBLIC`);
      await client.query(`GRANT CONNECT ON DATABASE "${db.database}" TO reporting`);
    });
    idle = new pg.Client({ connectionString: db.url, application_name: 'idle-app' });
    idle.on('error', () => undefined);
    await idle.connect();
    vault = keyVault({ 'era-a': keyA, 'era-b': keyB });
  });

  after(async () => {
    await idle?.end().catch(() => undefined);
  });

  it('restores headless with CONFIRM=yes, re-encrypts under the current key, and the drill login with MFA works', async () => {
    const tmp = privateTmp();
    const env = {
      ...home.env,
      TMPDIR: tmp,
      OBEXAL_DEBUG: '1',
      DATABASE_URL: db.url,
      CONFIRM: 'yes',
      ENCRYPTION_KEY: keyB,
      ENCRYPTION_KEY_COMMAND: vault.command,
      BACKUP_IDENTITY_FILE: identity.identityFile,
      AUTH_SERVICE_EXEC: SANDBOX_AUTH_SERVICE_EXEC,
    };
    // The live service (era B, before the restore): its sessions are ended by the swap, it reconnects to the
    // restored database, and the live checks compare its JWKS with the restored signing keys.
    const live = await startAuthService({ DATABASE_URL: db.url, ENCRYPTION_KEY: keyB });
    const appLog = join(home.dir, 'app-commands.log');
    const appCommand = (word: string) => JSON.stringify(['sh', '-c', `echo ${word} >> "$0"`, appLog]);
    let result;
    try {
      result = await runCli(
        ['restore', dump.path],
        {
          ...env,
          AUTH_SERVICE_URL: live.baseUrl,
          APP_STOP_COMMAND: appCommand('stop'),
          APP_START_COMMAND: appCommand('start'),
        },
        { timeoutMs: 300_000 },
      );
    } finally {
      await live.stop();
    }
    const output = `${result.stdout}\n${result.stderr}`;
    if (process.env.RESTORE_TEST_DEBUG) console.log(output);
    assert.equal(result.exitCode, 0, output);
    assert.match(output, /era "era-a"/);
    assert.match(output, /reencrypt-secrets done/);
    assert.match(
      output,
      new RegExp(`GDPR: 1 account\\(s\\) deleted after the dump .*: ${deletedUser}$`, 'm'),
      'the account deleted after the dump is listed, alone (ids only)',
    );
    assert.match(output, /idle-app/, 'the connected session is listed for the confirmation');
    assert.match(output, /lost/);
    // The application is stopped after pg_restore and the checks of the copy, just before the swap, and started after it.
    assert.equal(readFileSync(appLog, 'utf8'), 'stop\nstart\n');
    const at = (text: string) => output.indexOf(text);
    assert.ok(
      at('pg_restore finished') < at('APP_STOP_COMMAND done') &&
        at('APP_STOP_COMMAND done') < at('swapped:') &&
        at('swapped:') < at('APP_START_COMMAND done'),
      'stop, swap, start in that order',
    );
    assert.match(output, /live check: ready after/);
    assert.match(output, /live check: JWKS lists \d+ key\(s\), 2 of the restored database's 2/);

    // The deleted account is back (it must be erased again), the previous database is kept.
    const back = await withPg(
      db.url,
      async (client) => (await client.query('SELECT 1 FROM users WHERE id = $1', [deletedUser])).rowCount,
    );
    assert.equal(back, 1);
    const before = await databasesLike(db.url, `${db.database}__before_%`);
    assert.equal(before.length, 1, 'the previous database is kept as <db>__before_<run id>');
    assert.deepEqual(await databasesLike(db.url, `${db.database}__restore_%`), []);

    // The database's own settings and grants came across to the restored database.
    const props = await withPg(db.url, async (client) => {
      const settings = await client.query<{ role: string | null; config: string[] }>(
        `SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END AS role, s.setconfig AS config
           FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database() ORDER BY 1 NULLS FIRST`,
      );
      const db2 = await client.query<{ acl: string; limit: number }>(
        `SELECT datacl::text AS acl, datconnlimit AS limit FROM pg_database WHERE datname = current_database()`,
      );
      return { settings: settings.rows, acl: db2.rows[0]!.acl, limit: db2.rows[0]!.limit };
    });
    assert.deepEqual(props.settings, [
      { role: null, config: ['statement_timeout=45s', 'search_path="$user", public'] },
      { role: 'reporting', config: ['default_transaction_read_only=on'] },
    ]);
    assert.equal(props.limit, 40);
    assert.match(props.acl, /reporting=c\//);
    assert.doesNotMatch(props.acl, /(^|[{,])=/, 'PUBLIC has no privilege, as before');

    // Every secret opens under B alone.
    const b = parseEncryptionKey(keyB);
    await withPg(db.url, async (client) => {
      for (const [table, column] of [
        ['mfa_totp', 'secret_enc'],
        ['oidc_signing_keys', 'private_key_enc'],
        ['webhooks', 'secret_enc'],
      ] as const) {
        const rows = await client.query<{ v: string }>(`SELECT ${column} AS v FROM ${table}`);
        assert.ok(rows.rows.length > 0, table);
        for (const row of rows.rows) assert.equal(decryptSecret(row.v, [b]).keyIndex, 0, `${table} under B`);
      }
    });

    // Nothing decrypted is left behind; no key, identity or password reached the journal, the record or the output.
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('obexal-run-')),
      [],
    );
    const password = new URL(db.url).password;
    const findings = scanForSecrets(
      [join(home.dir, 'config'), join(home.env.BACKUP_DIR!, 'records')],
      [keyA, keyB, identity.identity, password, db.drill.totpSecret],
      { stdout: result.stdout, stderr: result.stderr },
    );
    assert.deepEqual(findings, []);

    // The signed record of the run: every step timed, the lost-data window and the accounts to erase again;
    // `records verify` accepts it.
    const recordsDir = join(home.env.BACKUP_DIR!, 'records');
    const recordFile = readdirSync(recordsDir).find((n) => /-restore-.*\.json$/.test(n));
    assert.ok(recordFile && existsSync(join(recordsDir, `${recordFile}.sig`)), 'a signed record of the restore');
    const record = JSON.parse(readFileSync(join(recordsDir, recordFile), 'utf8'));
    assert.equal(record.outcome, 'ok');
    // Step ids of the new swap order (issue 11); `check` and `reencrypt` are the in-place mode's, skipped here.
    assert.deepEqual(
      record.steps.map((st: { id: string }) => st.id),
      [
        'select',
        'verify',
        'key-era',
        'inspect',
        'preflight',
        'confirm',
        'lock',
        'copy',
        'check-copy',
        'reencrypt-copy',
        'stop-app',
        'apply',
        'properties',
        'start-app',
        'check',
        'reencrypt',
        'after',
      ],
    );
    const inPlaceOnly = new Set(['check', 'reencrypt']);
    for (const step of record.steps.filter((st: { id: string }) => !inPlaceOnly.has(st.id)))
      assert.ok(
        step.outcome === 'ok' && typeof step.durationMs === 'number' && step.startedAt && step.finishedAt,
        JSON.stringify(step).slice(0, 200),
      );
    for (const step of record.steps.filter((st: { id: string }) => inPlaceOnly.has(st.id)))
      assert.equal(step.outcome, 'skipped');
    assert.ok(record.details.lostDataWindow.durationMs > 0);
    assert.deepEqual(record.details.deletedAccountsToEraseAgain, [deletedUser]);
    const verified = await runCli(['records', 'verify'], env);
    assert.equal(verified.exitCode, 0, `${verified.stdout}\n${verified.stderr}`);

    // The drill's own four checks (src/drill/checks.ts): the sandbox auth-service on the restored database with
    // ENCRYPTION_KEY=B only (it refuses to start when a secret does not open), JWKS exactly the restored signing
    // keys, password login answering the MFA challenge, the TOTP completion, /v1/auth/me.
    const service = await startAuthService({ DATABASE_URL: db.url, ENCRYPTION_KEY: keyB });
    try {
      const signal = AbortSignal.timeout(60_000);
      const kids = await withPg(db.url, async (c) =>
        (
          await c.query<{ kid: string }>(`SELECT kid FROM oidc_signing_keys WHERE status IN ('active', 'retired')`)
        ).rows.map((r) => r.kid),
      );
      const jwks = await checkJwks(service.baseUrl, OBEXAL_ENDPOINTS, kids, signal);
      assert.ok(jwks.passed, jwks.reason);
      const login = await checkLogin(
        service.baseUrl,
        OBEXAL_ENDPOINTS,
        { tenant: DRILL_TENANT.slug, email: db.drill.email, password: db.drill.password },
        signal,
      );
      assert.ok(login.verdict.passed && login.mfaToken, login.verdict.reason);
      const mfa = await checkMfa(service.baseUrl, OBEXAL_ENDPOINTS, login.mfaToken, db.drill.totpSecret, signal);
      assert.ok(mfa.verdict.passed && mfa.sessionCookie, mfa.verdict.reason);
      const me = await checkMe(service.baseUrl, OBEXAL_ENDPOINTS, mfa.sessionCookie, db.drill.email, signal);
      assert.ok(me.passed, me.reason);
    } finally {
      await service.stop();
    }
  });

  it('restores the same dump without its manifest: era found by trial of ENCRYPTION_KEY_OLD, archive read in full', async () => {
    const alone = join(home.dir, 'alone');
    mkdirSync(alone);
    const copy = join(alone, dump.name);
    copyFileSync(dump.path, copy);
    await withPg(db.url, (c) =>
      c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'before-second-restore')`),
    );
    // TMPDIR on a RAM-backed file system (where this machine has one): honoured, and the run warns about it.
    const ramBacked = existsSync('/dev/shm') && Number((await statfs('/dev/shm')).type) === 0x01021994;
    const tmp = ramBacked ? mkdtempSync('/dev/shm/obexal-restore-tmp-') : privateTmp();
    const env = {
      ...home.env,
      BACKUP_DIR: alone,
      TMPDIR: tmp,
      DATABASE_URL: db.url,
      CONFIRM: 'yes',
      ENCRYPTION_KEY: keyB,
      ENCRYPTION_KEY_OLD: keyA,
      BACKUP_IDENTITY_FILE: identity.identityFile,
      AUTH_SERVICE_EXEC: SANDBOX_AUTH_SERVICE_EXEC,
    };
    const result = await runCli(['restore', copy], env, { timeoutMs: 300_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.exitCode, 0, output);
    assert.match(output, /no manifest for this dump/);
    assert.match(output, /checked: the whole archive read by pg_restore/);
    assert.match(output, /not checked: SHA-256 against a manifest/);
    if (ramBacked)
      assert.match(
        output,
        new RegExp(
          `the private folder ${tmp}/obexal-run-\\S+ is on a RAM-backed file system: .*set TMPDIR to a disk folder`,
        ),
      );
    assert.match(output, /accepted \(ENCRYPTION_KEY_OLD item 1\): opens \d+ of the \d+ values tried from the dump/);
    const marker = await withPg(
      db.url,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE target = 'before-second-restore'`)).rowCount,
    );
    assert.equal(marker, 0);
    const b = parseEncryptionKey(keyB);
    await withPg(db.url, async (client) => {
      for (const row of (await client.query<{ v: string }>('SELECT secret_enc AS v FROM mfa_totp')).rows)
        assert.equal(decryptSecret(row.v, [b]).keyIndex, 0);
    });
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('obexal-run-')),
      [],
    );
    if (ramBacked) rmSync(tmp, { recursive: true, force: true });
  });
});
