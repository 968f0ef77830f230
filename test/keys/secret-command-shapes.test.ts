/**
 * What a secret command prints is secret (issue 11 item 10): ENCRYPTION_KEY_COMMAND and BACKUP_IDENTITY_COMMAND
 * printing in odd shapes (`key=<key>`, the key twice, `set -x` tracing, the secret on stderr before a failure,
 * nothing) fail or pass with a message about the shape of the output, and a scan of stdout, stderr, the journals,
 * the records and the bucket's copies of the records finds neither the key nor the identity. Real restores, headless,
 * through the real executable; the vault is a shell script reading files (its command line holds no secret).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import { tempDir } from '../helpers/temp.js';
import { ageKeyPair, makeDump, privateTmp, type AgeKeyPair, type MadeDump } from '../restore/fixture.js';

const cluster = await withCluster();
let s3: StartedS3rver;
let db: SandboxDatabase;
let identity: AgeKeyPair;
let dump: MadeDump;
let vault: string;
const scanned: string[] = [];
const outputs: Record<string, string> = {};

before(async () => {
  s3 = await startS3rver();
  db = await sandboxDatabase(cluster, { prefix: 'secret_shapes', size: { users: 20, auditEvents: 100 } });
  const keys = tempDir('obexal-shapes-keys-');
  identity = await ageKeyPair(keys);
  const dumps = tempDir('obexal-shapes-dumps-');
  dump = await makeDump({ url: db.url, backupDir: dumps, recipient: identity.recipient, eras: [] });
  vault = tempDir('obexal-shapes-vault-');
  writeFileSync(join(vault, 'key'), `${db.encryptionKey}\n`, { mode: 0o600 });
  writeFileSync(join(vault, 'identity'), `${identity.identity}\n`, { mode: 0o600 });
});

after(async () => {
  await s3?.stop();
  const findings = scanForSecrets([...scanned, s3?.directory ?? ''], [db.encryptionKey, identity.identity], outputs);
  assert.deepEqual(
    findings,
    [],
    'neither the key nor the identity may reach any output, journal, record or bucket copy',
  );
});

/** A vault command: `sh -c <script>` where $K is the key file and $I the identity file. */
function command(script: string): string {
  return JSON.stringify(['sh', '-c', `K=${join(vault, 'key')}; I=${join(vault, 'identity')}; ${script}`]);
}

async function restoreWith(name: string, vars: Record<string, string>) {
  const home = testHome('obexal-shapes-');
  scanned.push(home.dir);
  const env = {
    ...home.env,
    ...s3.env,
    S3_PREFIX: `${name.replace(/[^a-z0-9]+/g, '-')}/`,
    TMPDIR: privateTmp(),
    DATABASE_URL: db.url,
    CONFIRM: 'yes',
    ...vars,
  };
  const result = await runCli(['restore', dump.path], env, { timeoutMs: 300_000 });
  outputs[`${name} stdout`] = result.stdout;
  outputs[`${name} stderr`] = result.stderr;
  return { ...result, output: `${result.stdout}\n${result.stderr}` };
}

const identityFromFile = () => ({ BACKUP_IDENTITY_FILE: identity.identityFile });
const keyFromFile = () => ({ ENCRYPTION_KEY: db.encryptionKey });

describe('BACKUP_IDENTITY_COMMAND printing in odd shapes', () => {
  it('identity=<identity>: fails, saying the line is not an identity, quoting nothing', async () => {
    const result = await restoreWith('identity named', {
      ...keyFromFile(),
      BACKUP_IDENTITY_COMMAND: command('printf "identity=%s\\n" "$(cat $I)"'),
    });
    assert.notEqual(result.exitCode, 0, result.output);
    assert.match(result.output, /the output of BACKUP_IDENTITY_COMMAND:1: not an age identity/);
    assert.match(result.output, /it printed 1 line on its standard output; not shown: it is secret/);
  });

  it('the identity on stderr, then exit 1: fails with the exit code and the shape of the output', async () => {
    const result = await restoreWith('identity stderr', {
      ...keyFromFile(),
      BACKUP_IDENTITY_COMMAND: command('echo "token expired for $(cat $I)" >&2; exit 1'),
    });
    assert.notEqual(result.exitCode, 0, result.output);
    assert.match(
      result.output,
      /BACKUP_IDENTITY_COMMAND \(sh\) exited with code 1; it printed no line on its standard output and 1 line on its error output \(not shown/,
    );
  });

  it('nothing at all: fails saying it printed nothing', async () => {
    const result = await restoreWith('identity empty', { ...keyFromFile(), BACKUP_IDENTITY_COMMAND: command('true') });
    assert.notEqual(result.exitCode, 0, result.output);
    assert.match(result.output, /BACKUP_IDENTITY_COMMAND \(sh\) printed nothing on its standard output/);
  });
});

describe('ENCRYPTION_KEY_COMMAND printing in odd shapes', () => {
  it('key=<key>: fails, saying the line is not base64 and how long it is', async () => {
    const result = await restoreWith('key named', {
      ...identityFromFile(),
      ENCRYPTION_KEY_COMMAND: command('printf "key=%s\\n" "$(cat $K)"'),
    });
    assert.notEqual(result.exitCode, 0, result.output);
    assert.match(
      result.output,
      /ENCRYPTION_KEY_COMMAND is not valid base64 \(one line of 48 characters; not shown: it is secret\)/,
    );
  });

  it('the key printed twice: fails, saying it printed 2 lines, not one', async () => {
    const result = await restoreWith('key twice', {
      ...identityFromFile(),
      ENCRYPTION_KEY_COMMAND: command('cat $K; cat $K'),
    });
    assert.notEqual(result.exitCode, 0, result.output);
    assert.match(result.output, /ENCRYPTION_KEY_COMMAND printed 2 lines on its standard output, not one/);
  });

  it('the key on stderr, then exit 3: fails with the exit code and the shape of the output', async () => {
    const result = await restoreWith('key stderr', {
      ...identityFromFile(),
      ENCRYPTION_KEY_COMMAND: command('echo "vault: sealed; last key $(cat $K)" >&2; exit 3'),
    });
    assert.notEqual(result.exitCode, 0, result.output);
    assert.match(
      result.output,
      /ENCRYPTION_KEY_COMMAND \(sh\) exited with code 3; it printed no line on its standard output and 1 line on its error output/,
    );
  });

  it('set -x tracing on stderr around a key on stdout, identity the same way: passes, the trace not shown', async () => {
    const result = await restoreWith('set -x', {
      ENCRYPTION_KEY_COMMAND: command('set -x; k=$(cat $K); echo "$k"'),
      BACKUP_IDENTITY_COMMAND: command('set -x; i=$(cat $I); echo "# created by the vault"; echo "$i"'),
    });
    assert.equal(result.exitCode, 0, result.output);
    assert.match(
      result.output,
      /ENCRYPTION_KEY_COMMAND \(sh\) also wrote \d+ lines on its error output \(not shown: everything a secret command prints is secret\)/,
    );
    assert.match(result.output, /BACKUP_IDENTITY_COMMAND \(sh\) also wrote \d+ lines on its error output/);
    assert.match(result.output, /record: \S+\.json/);
  });
});

describe('an answers file that gives a secret', () => {
  it('is refused with exit 2, naming the answer, never quoting it', async () => {
    const home = testHome('obexal-shapes-answers-');
    scanned.push(home.dir);
    const answers = join(tempDir('obexal-shapes-answers-file-'), 'answers.yaml');
    writeFileSync(answers, `dump-era: "${db.encryptionKey}"\n`);
    const result = await runCli(['restore', dump.path, '--answers', answers], {
      ...home.env,
      DATABASE_URL: db.url,
      CONFIRM: 'yes',
      ...identityFromFile(),
    });
    outputs['answers stdout'] = result.stdout;
    outputs['answers stderr'] = result.stderr;
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(
      result.stdout + result.stderr,
      /gives a secret in dump-era \(a key, an identity or a password; not shown\)/,
    );
  });
});
