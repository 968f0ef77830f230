/**
 * Input validated where it enters (issue 17 item 10): a `--resume` id is checked before it becomes a path, an
 * unknown run is a usage error naming `runs list` (it exited 4, "resume refused", as if the runbook had changed),
 * and a dump-era answer that is no era is refused with exit 2 and what was expected instead of being taken as no
 * answer. Through the real executable.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { generateEncryptionKey } from '../../src/keys/secret-value.js';
import { ROOT, runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { ageKeyPair, eraOf, makeDump, privateTmp, writeRegisterFile, type AgeKeyPair } from '../restore/fixture.js';

const STEPS = join(ROOT, 'test/fixtures/runbooks/steps.yaml');

describe('--resume <run id>', () => {
  for (const id of ['../../etc/passwd', '../runs/x', 'a/b', '20261202T170842Z-abcdef/../../x']) {
    it(`"${id}" is not a run id: exit 2 before it is used as a path`, async () => {
      const home = testHome();
      const result = await runCli([STEPS, '--resume', id], home.env);
      const output = result.stdout + result.stderr;
      assert.equal(result.exitCode, 2, output);
      assert.match(output, /is not a run id: expected one such as \d{8}T\d{6}Z-[0-9a-f]{6}/);
      assert.match(output, /obexal-runbook runs list/);
      assert.doesNotMatch(output, /passwd\.jsonl|no journal at/);
    });
  }

  it('an unknown run id: exit 2 naming `obexal-runbook runs list`', async () => {
    const home = testHome();
    const result = await runCli([STEPS, '--resume', '20261202T170842Z-abcdef'], home.env);
    const output = result.stdout + result.stderr;
    assert.equal(result.exitCode, 2, output);
    assert.match(output, /there is no run 20261202T170842Z-abcdef to resume/);
    assert.match(output, /`obexal-runbook runs list` shows the runs that can be resumed/);
  });
});

describe('a dump-era answer that is not an era', () => {
  let db: SandboxDatabase;
  let identity: AgeKeyPair;
  let home: ReturnType<typeof testHome>;
  let dumpAlone: string;
  const keyB = generateEncryptionKey();

  before(async () => {
    db = await sandboxDatabase(await withCluster(), {
      prefix: 'input_validation',
      size: { users: 10, auditEvents: 50 },
    });
    home = testHome();
    identity = await ageKeyPair(home.dir);
    const start = new Date(Date.now() - 86_400_000 * 10).toISOString();
    const rotated = new Date(Date.now() - 86_400_000).toISOString();
    const made = await makeDump({
      url: db.url,
      backupDir: home.env.BACKUP_DIR!,
      recipient: identity.recipient,
      eras: [],
    });
    // Without its manifest, the restore asks which era the dump was taken in (dump-era).
    const alone = join(home.dir, 'alone');
    mkdirSync(alone, { mode: 0o700 });
    dumpAlone = join(alone, made.name);
    copyFileSync(made.path, dumpAlone);
    writeRegisterFile(alone, [
      { ...eraOf('era-a', db.encryptionKey), start, end: rotated },
      { ...eraOf('era-b', keyB), start: rotated, end: null },
    ]);
  });

  for (const answer of ['../x', 'ERA-1', 'era-z']) {
    it(`dump-era "${answer}": exit 2 saying what was expected, nothing changed`, async () => {
      const answers = join(home.dir, `answers-${answer.replace(/\W/g, '')}.yaml`);
      writeFileSync(answers, `dump-era: "${answer}"\n`);
      const env = {
        ...home.env,
        BACKUP_DIR: join(home.dir, 'alone'),
        TMPDIR: privateTmp(),
        DATABASE_URL: db.url,
        CONFIRM: 'yes',
        ENCRYPTION_KEY: keyB,
        BACKUP_IDENTITY_FILE: identity.identityFile,
      };
      const result = await runCli(['restore', dumpAlone, '--answers', answers], env, { timeoutMs: 300_000 });
      const output = result.stdout + result.stderr;
      assert.equal(result.exitCode, 2, output);
      assert.match(
        output,
        answer === 'era-z'
          ? /"era-z" is not an era of the key-era register/
          : /is not an era label \(lower-case letters, digits and dashes\)/,
      );
      assert.match(output, /answer dump-era with one of: era-a, unknown/);
      assert.equal(existsSync(join(home.dir, 'x')), false);
    });
  }
});
