/**
 * The reencrypt-secrets runbook, for a database restored by other means (its secrets still under an older
 * era's key): the era chosen (answers file headless), its key from the vault command and accepted by
 * fingerprint, the confirmation, reencrypt-secrets through AUTH_SERVICE_EXEC, then every secret under the
 * current key alone. A second run finds nothing to do.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { decryptSecret, generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import { eraOf, keyVault, SANDBOX_AUTH_SERVICE_EXEC, tableChecksums, withPg, writeRegisterFile } from './fixture.js';

const clusterReady = withCluster();

describe('the reencrypt-secrets runbook', () => {
  let db: SandboxDatabase;
  let keyB: string;
  let home: ReturnType<typeof testHome>;
  let vault: ReturnType<typeof keyVault>;
  let answers: string;

  before(async () => {
    const cluster = await clusterReady;
    db = await sandboxDatabase(cluster, { prefix: 'reencrypt', size: { users: 120, auditEvents: 500 } });
    keyB = generateEncryptionKey();
    home = testHome();
    const rotatedAt = new Date(Date.now() - 3_600_000).toISOString();
    writeRegisterFile(home.env.BACKUP_DIR!, [
      { ...eraOf('era-a', db.encryptionKey), start: '2026-01-01T00:00:00.000Z', end: rotatedAt },
      { ...eraOf('era-b', keyB), start: rotatedAt, end: null },
    ]);
    vault = keyVault({ 'era-a': db.encryptionKey });
    answers = join(home.dir, 'answers.yaml');
    writeFileSync(answers, 'dump-era: era-a\n');
  });

  function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      ...home.env,
      DATABASE_URL: db.url,
      CONFIRM: 'yes',
      ENCRYPTION_KEY: keyB,
      ENCRYPTION_KEY_COMMAND: vault.command,
      AUTH_SERVICE_EXEC: SANDBOX_AUTH_SERVICE_EXEC,
      ...extra,
    };
  }

  it('refuses without CONFIRM=yes (exit 3) and changes nothing', async () => {
    const checksums = await tableChecksums(db.url);
    const result = await runCli(['reencrypt-secrets', '--answers', answers], env({ CONFIRM: undefined }));
    assert.equal(result.exitCode, 3, result.stdout);
    assert.match(result.stdout, /re-encrypt \d+ of \d+ encrypted values|without CONFIRM=yes/);
    assert.deepEqual(await tableChecksums(db.url), checksums);
  });

  it('re-encrypts every secret under the current key, then a second run has nothing to do', async () => {
    const result = await runCli(['reencrypt-secrets', '--answers', answers], env());
    assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(
      result.stdout,
      /key for era "era-a" accepted \(ENCRYPTION_KEY_COMMAND \(era era-a\)\): fingerprint [0-9a-f]+ matches the era/,
    );
    assert.match(result.stdout, /every encrypted value opens under ENCRYPTION_KEY alone/);
    const b = parseEncryptionKey(keyB);
    await withPg(db.url, async (c) => {
      for (const [table, column] of [
        ['mfa_totp', 'secret_enc'],
        ['oidc_signing_keys', 'private_key_enc'],
        ['webhooks', 'secret_enc'],
      ] as const) {
        for (const row of (await c.query<{ v: string }>(`SELECT ${column} AS v FROM ${table}`)).rows)
          assert.equal(decryptSecret(row.v, [b]).keyIndex, 0);
      }
      assert.equal((await c.query(`SELECT 1 FROM audit_log WHERE action = 'crypto.secrets.reencrypted'`)).rowCount, 1);
    });
    assert.deepEqual(
      scanForSecrets([home.dir], [keyB, db.encryptionKey], { stdout: result.stdout, stderr: result.stderr }).filter(
        (f) => !f.where.includes('vault'),
      ),
      [],
    );

    const again = await runCli(['reencrypt-secrets'], env({ ENCRYPTION_KEY_COMMAND: undefined }));
    assert.equal(again.exitCode, 0, again.stdout);
    assert.match(again.stdout, /nothing to re-encrypt/);
    assert.match(again.stdout, /\+ verify: ok/);
  });
});
