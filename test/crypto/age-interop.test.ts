/** Our streams against the real age CLI (Debian's age 1.1.1), both ways, at the chunk-boundary sizes. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  readIdentitiesFile,
  type AgeIdentity,
  type AgeRecipient,
  parseRecipientList,
} from '../../src/crypto/age-keys.js';
import {
  AGE,
  ageKeygen,
  decryptBuffer,
  encryptBuffer,
  privateFolder,
  run,
  SIZES,
  writePrivate,
} from './age-helpers.js';

describe('age interoperability with the age CLI', () => {
  let folder: Awaited<ReturnType<typeof privateFolder>>;
  let keyA: { path: string; recipient: string };
  let keyB: { path: string; recipient: string };
  let identityA: AgeIdentity[];
  let identityB: AgeIdentity[];
  let recipientA: AgeRecipient[];

  before(async () => {
    folder = await privateFolder();
    keyA = ageKeygen(join(folder.dir, 'a.txt'));
    keyB = ageKeygen(join(folder.dir, 'b.txt'));
    identityA = await readIdentitiesFile(keyA.path);
    identityB = await readIdentitiesFile(keyB.path);
    recipientA = parseRecipientList(keyA.recipient);
  });
  after(() => folder.cleanup());

  for (const size of SIZES) {
    it(`age -d opens our encryption of ${size} bytes`, async () => {
      const plaintext = randomBytes(size);
      const ciphertext = await encryptBuffer(plaintext, recipientA, 7919); // odd piece size: re-chunking
      const file = await writePrivate(join(folder.dir, `ours-${size}.age`), ciphertext);
      const opened = run(AGE, ['-d', '-i', keyA.path, file]);
      assert.equal(opened.length, size);
      assert.ok(opened.equals(plaintext), 'age -d returned different bytes');
    });

    it(`we open age -e -r output of ${size} bytes`, async () => {
      const plaintext = randomBytes(size);
      const ciphertext = run(AGE, ['-e', '-r', keyA.recipient], plaintext);
      for (const pieceSize of [1 << 20, 4099]) {
        const opened = await decryptBuffer(ciphertext, identityA, pieceSize);
        assert.equal(opened.length, size);
        assert.ok(opened.equals(plaintext), `different bytes with ${pieceSize}-byte input pieces`);
      }
    });
  }

  it('the ciphertext size matches the age format (header + 16 + one tag per chunk)', async () => {
    const ours = await encryptBuffer(randomBytes(65537), recipientA);
    const theirs = run(AGE, ['-e', '-r', keyA.recipient], randomBytes(65537));
    assert.equal(ours.length, theirs.length); // same header size for one X25519 recipient, same chunking
  });

  it('encrypts to several recipients: each identity opens it, with age -d and with us', async () => {
    const plaintext = randomBytes(200_000);
    const recipients = parseRecipientList(`${keyA.recipient}, ${keyB.recipient}`);
    const ciphertext = await encryptBuffer(plaintext, recipients);
    const file = await writePrivate(join(folder.dir, 'two.age'), ciphertext);
    for (const key of [keyA, keyB]) assert.ok(run(AGE, ['-d', '-i', key.path, file]).equals(plaintext));
    assert.ok((await decryptBuffer(ciphertext, identityA)).equals(plaintext));
    assert.ok((await decryptBuffer(ciphertext, identityB)).equals(plaintext));
  });

  it('opens age output for several recipients, and tries every identity given', async () => {
    const plaintext = randomBytes(100_000);
    const ciphertext = run(AGE, ['-e', '-r', keyA.recipient, '-r', keyB.recipient], plaintext);
    assert.ok((await decryptBuffer(ciphertext, identityB)).equals(plaintext));
    const onlyB = run(AGE, ['-e', '-r', keyB.recipient], plaintext);
    assert.ok((await decryptBuffer(onlyB, [...identityA, ...identityB])).equals(plaintext));
  });

  it('two encryptions of the same plaintext differ (fresh file key and nonce)', async () => {
    const plaintext = randomBytes(1000);
    const one = await encryptBuffer(plaintext, recipientA);
    const two = await encryptBuffer(plaintext, recipientA);
    assert.ok(!one.equals(two));
  });
});
