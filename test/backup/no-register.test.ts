/**
 * A backup is never refused for bookkeeping (issue 11 item 1): the documented cron line on a fresh installation
 * with nothing but the recipients and the bucket configured takes an encrypted dump even though there is no key-era
 * register and no ENCRYPTION_KEY; its era is recorded as unregistered, and a restore of it finds the key by trial
 * decryption. With ENCRYPTION_KEY at hand the era is registered under the default label, and the run says so.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { suggestEraLabel } from '../../src/eras/register.js';
import { keyFingerprint } from '../../src/keys/fingerprint.js';
import { decryptSecret, generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { runAuthService } from '../auth-service/fixture.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import { privateTmp, SANDBOX_AUTH_SERVICE_EXEC, withPg } from '../restore/fixture.js';
import {
  ageIdentity,
  backupFiles,
  backupHome,
  readManifests,
  removeTempDirs,
  tempDir,
  type TestIdentity,
} from './helpers.js';

const cluster = await withCluster();
let s3: StartedS3rver;
let db: SandboxDatabase;
let identity: TestIdentity;
let keyB: string;
const homes: string[] = [];
const outputs: Record<string, string> = {};

before(async () => {
  s3 = await startS3rver();
  db = await sandboxDatabase(cluster, { prefix: 'no_register' });
  identity = ageIdentity(tempDir('obexal-backup-keys-'));
  keyB = generateEncryptionKey();
});

after(async () => {
  await s3?.stop();
  try {
    assert.deepEqual(scanForSecrets(homes, [cluster.password, db.encryptionKey, keyB, identity.secret], outputs), []);
  } finally {
    removeTempDirs();
  }
});

function freshHome(prefix: string, extra: Record<string, string> = {}) {
  const home = backupHome(db.url, identity.recipient, { ...s3.env, S3_PREFIX: prefix, ...extra });
  homes.push(home.dir);
  return home;
}

async function run(name: string, args: string[], env: Record<string, string>): Promise<CliResult & { output: string }> {
  const result = await runCli(args, env, { timeoutMs: 300_000 });
  outputs[`${name} stdout`] = result.stdout;
  outputs[`${name} stderr`] = result.stderr;
  return { ...result, output: `${result.stdout}\n${result.stderr}` };
}

describe('the first backup with no key-era register', () => {
  let unregisteredHome: ReturnType<typeof freshHome>;

  it('without ENCRYPTION_KEY: the cron line exits 0 with an encrypted dump whose era is recorded as unregistered', async () => {
    unregisteredHome = freshHome('unregistered/');
    const result = await run('unregistered', ['backup'], unregisteredHome.env);
    assert.equal(result.exitCode, 0, result.output);
    assert.match(
      result.output,
      /there is no key-era register yet and no ENCRYPTION_KEY in this environment: the dump is taken anyway/,
    );
    assert.match(result.output, /records its key era as unregistered \(a restore finds the key by trial decryption\)/);
    const files = backupFiles(unregisteredHome.backupDir);
    assert.equal(files.filter((n) => n.endsWith('.dump.zst.age')).length, 1, files.join(', '));
    const [manifest] = readManifests(unregisteredHome.backupDir);
    assert.deepEqual(manifest?.manifest.keyEras, []);
    assert.equal(manifest?.manifest.keyErasUnregistered, true);
    assert.equal(
      existsSync(join(unregisteredHome.backupDir, 'key-eras.json')),
      false,
      'no register is made up without a key',
    );
    assert.ok(
      existsSync(s3.storedObjectPath(`unregistered/${manifest?.manifest.dump.name}`)),
      'the dump reached the bucket',
    );
  });

  it('a restore of that dump, after a key rotation, finds the old key by trial decryption and re-encrypts', async () => {
    assert.ok(unregisteredHome, 'the previous test made the dump');
    const keyA = db.encryptionKey;
    const rotated = await runAuthService(['reencrypt-secrets'], {
      DATABASE_URL: db.url,
      ENCRYPTION_KEY: keyB,
      ENCRYPTION_KEY_OLD: keyA,
    });
    assert.equal(rotated.exitCode, 0, rotated.stderr);
    const dump = readManifests(unregisteredHome.backupDir)[0]?.manifest.dump.name as string;
    const tmp = privateTmp();
    const env = {
      ...unregisteredHome.env,
      TMPDIR: tmp,
      CONFIRM: 'yes',
      ENCRYPTION_KEY: keyB,
      ENCRYPTION_KEY_OLD: keyA,
      BACKUP_IDENTITY_FILE: identity.file,
      AUTH_SERVICE_EXEC: SANDBOX_AUTH_SERVICE_EXEC,
    };
    const result = await run('restore', ['restore', join(unregisteredHome.backupDir, dump)], env);
    assert.equal(result.exitCode, 0, result.output);
    assert.match(result.output, /the dump was taken in: an unregistered era \(the manifest names none\)/);
    assert.match(
      result.output,
      /accepted \(ENCRYPTION_KEY_OLD item 1\): opens \d+ of the \d+ values tried from the dump/,
    );
    const b = parseEncryptionKey(keyB);
    await withPg(db.url, async (client) => {
      const rows = (await client.query<{ v: string }>('SELECT secret_enc AS v FROM mfa_totp')).rows;
      assert.ok(rows.length > 0);
      for (const row of rows) assert.equal(decryptSecret(row.v, [b]).keyIndex, 0);
    });
  });

  it('with ENCRYPTION_KEY at hand: registers the era under the default label, says so, and uploads the register', async () => {
    const home = freshHome('registered/', { ENCRYPTION_KEY: keyB });
    const result = await run('default label', ['backup'], home.env);
    assert.equal(result.exitCode, 0, result.output);
    const label = suggestEraLabel();
    assert.match(result.output, new RegExp(`registered under the default label "${label}"`));
    const register = JSON.parse(readFileSync(join(home.backupDir, 'key-eras.json'), 'utf8')) as {
      eras: { label: string; fingerprint: string }[];
    };
    assert.deepEqual(
      register.eras.map((e) => [e.label, e.fingerprint]),
      [[label, keyFingerprint(parseEncryptionKey(keyB))]],
    );
    assert.ok(existsSync(s3.storedObjectPath('registered/key-eras.json')), 'the register reached the bucket');
    const [manifest] = readManifests(home.backupDir);
    assert.deepEqual(
      manifest?.manifest.keyEras.map((e) => e.label),
      [label],
    );
    assert.equal(manifest?.manifest.keyErasUnregistered, undefined);
  });

  for (const answer of ['../x', 'ERA-1']) {
    it(`an era-label answer "${answer}" is refused with exit 2 naming what is expected, before anything is written`, async () => {
      const home = freshHome('bad-label/', { ENCRYPTION_KEY: keyB });
      const answers = join(home.dir, 'answers.yaml');
      writeFileSync(answers, `era-label: "${answer}"\n`);
      const result = await run(`label ${answer}`, ['backup', '--answers', answers], home.env);
      assert.equal(result.exitCode, 2, result.output);
      assert.match(result.output, /is not a valid era label/);
      assert.match(result.output, /lower-case letters, digits and dashes/);
      assert.deepEqual(backupFiles(home.backupDir), []);
      assert.equal(existsSync(join(home.backupDir, 'key-eras.json')), false);
    });
  }
});
