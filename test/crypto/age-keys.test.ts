/** Parsing and generating age recipients and identities; secrets registered with the redaction layer. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { generateHybridIdentity, identityToRecipient } from 'age-encryption';
import { ExitCode, UsageError } from '../../src/core/errors.js';
import { redact, registeredSecrets } from '../../src/core/redact.js';
import { UnsupportedAgeKeyError } from '../../src/crypto/age-errors.js';
import {
  formatIdentityFile,
  generateAgeIdentity,
  parseIdentitiesText,
  parseRecipientList,
  readIdentitiesFile,
  readRecipientsFile,
} from '../../src/crypto/age-keys.js';
import { AGE, ageKeygen, decryptBuffer, encryptBuffer, privateFolder, run, writePrivate } from './age-helpers.js';

async function rejects(
  promise: Promise<unknown> | (() => unknown),
  expected: new (...args: never[]) => Error,
  pattern?: RegExp,
): Promise<Error> {
  let caught: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof expected, `expected ${expected.name}, got ${String(caught)}`);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

describe('age keys', () => {
  let folder: Awaited<ReturnType<typeof privateFolder>>;
  let keyA: { path: string; recipient: string };
  let keyB: { path: string; recipient: string };
  let pqRecipient: string;

  before(async () => {
    folder = await privateFolder();
    keyA = ageKeygen(join(folder.dir, 'a.txt'));
    keyB = ageKeygen(join(folder.dir, 'b.txt'));
    pqRecipient = await identityToRecipient(await generateHybridIdentity());
  });
  after(() => folder.cleanup());

  it('parses a comma-separated setting, trimming and dropping duplicates', () => {
    const list = parseRecipientList(` ${keyA.recipient},${keyB.recipient} , ,${keyA.recipient}`);
    assert.deepEqual(list, [keyA.recipient, keyB.recipient]);
  });

  it('an empty setting names the setting and how to get a recipient', async () => {
    const error = await rejects(() => parseRecipientList(' , ', 'BACKUP_RECIPIENTS'), UsageError);
    assert.equal(error.message, 'BACKUP_RECIPIENTS holds no age recipient');
    assert.equal((error as UsageError).hint, 'add an age1... public key (age-keygen -y identity.txt prints it)');
    assert.equal((error as UsageError).exitCode, ExitCode.usage);
  });

  it('refuses post-quantum, plugin, tag, SSH and unknown recipients with a typed error', async () => {
    const cases: Array<[string, string]> = [
      [pqRecipient, 'post-quantum'],
      ['age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t', 'plugin:yubikey'],
      ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN', 'ssh'],
      ['npub1sn0wdenkukak0d9dfczzeacvhkrgz92ak56egt7vdgzn8pv2wfqqhrjdv9', 'unknown'],
    ];
    for (const [value, type] of cases) {
      const error = await rejects(
        () => parseRecipientList(`${keyA.recipient},${value}`),
        UnsupportedAgeKeyError,
        /not supported/,
      );
      assert.equal((error as UnsupportedAgeKeyError).keyType, type);
      assert.ok(error instanceof UsageError);
      assert.ok(!error.message.includes(value), 'the value is shown only by its first characters');
    }
    const pq = await rejects(() => parseRecipientList(pqRecipient), UnsupportedAgeKeyError);
    assert.match((pq as UsageError).hint ?? '', /age 1\.1\.1 cannot decrypt it/);
  });

  it('refuses a malformed X25519 recipient (bad checksum)', async () => {
    const broken = keyA.recipient.slice(0, -1) + (keyA.recipient.endsWith('q') ? 'p' : 'q');
    await rejects(
      () => parseRecipientList(broken, 'BACKUP_RECIPIENTS'),
      UsageError,
      /^BACKUP_RECIPIENTS: .* is not a valid age recipient/,
    );
  });

  it('an identity pasted where a recipient belongs: refused, registered as a secret, not echoed', async () => {
    const secret = (await readIdentitiesFile(keyA.path))[0]!.revealSecret();
    const error = await rejects(() => parseRecipientList(secret), UsageError, /identity \(a secret key\)/);
    assert.ok(!error.message.includes(secret) && !(error as UsageError).hint?.includes(secret));
    assert.ok(registeredSecrets().includes(secret));
  });

  it('reads an age -R recipients file with comments and blank lines, naming file:line on errors', async () => {
    const file = await writePrivate(
      join(folder.dir, 'recipients.txt'),
      `# backup keys\n\n${keyA.recipient}\n   # the offline copy\n${keyB.recipient}\n`,
    );
    assert.deepEqual(await readRecipientsFile(file), [keyA.recipient, keyB.recipient]);
    const bad = await writePrivate(join(folder.dir, 'bad.txt'), `${keyA.recipient}\n\nage1notakey\n`);
    await rejects(readRecipientsFile(bad), UsageError, new RegExp(`^${bad}:3: `));
    await rejects(
      readRecipientsFile(join(folder.dir, 'missing.txt')),
      UsageError,
      /cannot read the recipients file .* \(ENOENT\)/,
    );
    const empty = await writePrivate(join(folder.dir, 'empty.txt'), '# nothing\n\n');
    await rejects(readRecipientsFile(empty), UsageError, /holds no age recipient/);
  });

  it('reads an age-keygen identity file: its recipient matches age-keygen -y, and the key is a secret', async () => {
    const [identity, ...rest] = await readIdentitiesFile(keyA.path);
    assert.equal(rest.length, 0);
    assert.equal(identity!.recipient, keyA.recipient);
    assert.ok(registeredSecrets().includes(identity!.revealSecret()));
    assert.equal(redact(`key ${identity!.revealSecret()}`), 'key [redacted]');
  });

  it('an identity never shows its secret when printed or serialized', async () => {
    const [identity] = await readIdentitiesFile(keyA.path);
    const secret = identity!.revealSecret();
    for (const shown of [String(identity), JSON.stringify({ identity }), inspect(identity), `${identity}`]) {
      assert.ok(!shown.includes(secret), shown);
      assert.ok(shown.includes(keyA.recipient));
    }
  });

  it('reads several identities from a string; refuses bad and unsupported ones after registering them', async () => {
    const a = (await readIdentitiesFile(keyA.path))[0]!.revealSecret();
    const b = (await readIdentitiesFile(keyB.path))[0]!.revealSecret();
    const both = await parseIdentitiesText(`# two\n${a}\n\n${b}\n`, 'BACKUP_IDENTITY');
    assert.deepEqual(
      both.map((identity) => identity.recipient),
      [keyA.recipient, keyB.recipient],
    );

    const corrupted = a.slice(0, -2) + (a.endsWith('QQ') ? 'PP' : 'QQ');
    await rejects(
      parseIdentitiesText(corrupted, 'BACKUP_IDENTITY'),
      UsageError,
      /^BACKUP_IDENTITY:1: the age identity is malformed/,
    );
    assert.ok(registeredSecrets().includes(corrupted), 'registered even though it did not validate');

    const pq = await generateHybridIdentity();
    const error = await rejects(parseIdentitiesText(pq, 'vault'), UnsupportedAgeKeyError, /post-quantum/);
    assert.ok(!error.message.includes(pq));
    assert.ok(registeredSecrets().includes(pq));
    await rejects(parseIdentitiesText('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n', 'k'), UnsupportedAgeKeyError);
    await rejects(parseIdentitiesText(keyA.recipient, 'k'), UsageError, /not an age identity/);
    await rejects(parseIdentitiesText('# only a comment\n', 'k'), UsageError, /holds no age identity/);
  });

  it('generates an identity that the age CLI and our streams both use', async () => {
    const identity = await generateAgeIdentity();
    assert.match(identity.recipient, /^age1[02-9ac-hj-np-z]{58}$/);
    assert.ok(registeredSecrets().includes(identity.revealSecret()));
    const file = await writePrivate(join(folder.dir, 'generated.txt'), formatIdentityFile(identity));
    assert.equal(run('/usr/bin/age-keygen', ['-y', file]).toString().trim(), identity.recipient);
    const [reread] = await readIdentitiesFile(file);
    const plaintext = Buffer.from('restore drill');
    const sealed = await encryptBuffer(plaintext, [identity.recipient]);
    assert.ok(run(AGE, ['-d', '-i', file], sealed).equals(plaintext));
    assert.ok((await decryptBuffer(sealed, [reread!])).equals(plaintext));
  });
});
