/**
 * The age header written by Node's crypto (src/crypto/age-x25519-header.ts): recipients made by the real age-keygen
 * decode to their 32-byte keys (a wrong checksum, another key type: not at all), and a header for two of them, with
 * a payload sealed under its file key, opens with the real `age -d` for either identity.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHeader } from '../../src/crypto/age-header.js';
import { parseRecipient } from '../../src/crypto/age-keys.js';
import { x25519Header, x25519RecipientKey } from '../../src/crypto/age-x25519-header.js';
import { AGE, ageKeygen, encryptBuffer, privateFolder, run } from './age-helpers.js';

describe('age header by Node crypto', () => {
  let folder: Awaited<ReturnType<typeof privateFolder>>;
  let one: ReturnType<typeof ageKeygen>;
  let two: ReturnType<typeof ageKeygen>;

  before(async () => {
    folder = await privateFolder();
    one = ageKeygen(join(folder.dir, 'one.txt'));
    two = ageKeygen(join(folder.dir, 'two.txt'));
  });
  after(() => folder.cleanup());

  it('decodes age1 recipients to 32 bytes, and nothing else', () => {
    assert.equal(x25519RecipientKey(one.recipient)?.length, 32);
    assert.notDeepEqual(x25519RecipientKey(one.recipient), x25519RecipientKey(two.recipient));
    assert.deepEqual(x25519RecipientKey(one.recipient.toUpperCase()), x25519RecipientKey(one.recipient));
    const last = one.recipient.at(-1) === 'q' ? 'p' : 'q';
    assert.equal(x25519RecipientKey(`${one.recipient.slice(0, -1)}${last}`), undefined, 'a wrong checksum');
    assert.equal(x25519RecipientKey(`age1pq${one.recipient.slice(6)}`), undefined);
    assert.equal(x25519RecipientKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI'), undefined);
  });

  it('writes the header createHeader uses: one stanza per recipient and the MAC line', async () => {
    const recipients = [one.recipient, two.recipient].map((r) => parseRecipient(r, 'test'));
    const { header, fileKey } = await createHeader(recipients);
    assert.equal(fileKey.length, 16);
    const lines = header.toString('latin1').split('\n');
    assert.equal(lines[0], 'age-encryption.org/v1');
    assert.equal(lines.filter((line) => line.startsWith('-> X25519 ')).length, 2);
    assert.match(lines.at(-2) ?? '', /^--- [A-Za-z0-9+/]{43}$/);
    const keys = recipients.map((r) => x25519RecipientKey(r)!);
    assert.notDeepEqual(x25519Header(fileKey, keys), header, 'a fresh ephemeral key every time');
  });

  it('a file encrypted under it opens with age -d for either identity', async () => {
    const recipients = [one.recipient, two.recipient].map((r) => parseRecipient(r, 'test'));
    const plaintext = Buffer.from('obexal-runbook: native age header\n'.repeat(5000));
    const encrypted = await encryptBuffer(plaintext, recipients);
    for (const identity of [one.path, two.path]) {
      assert.deepEqual(run(AGE, ['-d', '-i', identity], encrypted), plaintext);
    }
  });
});
