/** Decryption failures are typed and clear, and a damaged file never decrypts "successfully". */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Encrypter, generateHybridIdentity, identityToRecipient } from 'age-encryption';
import { ExitCode, StepFailedError } from '../../src/core/errors.js';
import {
  AgeAuthenticationError,
  AgeDecryptError,
  AgeHeaderError,
  AgeNoMatchingIdentityError,
  AgeNotAgeFileError,
  AgeTruncatedError,
} from '../../src/crypto/age-errors.js';
import { headerLength } from '../../src/crypto/age-header.js';
import {
  type AgeIdentity,
  type AgeRecipient,
  parseRecipientList,
  readIdentitiesFile,
} from '../../src/crypto/age-keys.js';
import { SEALED_CHUNK_SIZE } from '../../src/crypto/age-payload.js';
import {
  AGE,
  ageKeygen,
  decryptBuffer,
  decryptExpectingFailure,
  encryptBuffer,
  privateFolder,
  run,
} from './age-helpers.js';

type ErrorClass = new (...args: never[]) => AgeDecryptError;

function assertTyped(error: unknown, expected: ErrorClass, pattern?: RegExp): void {
  assert.ok(error instanceof expected, `expected ${expected.name}, got ${String(error)}`);
  assert.ok(error instanceof AgeDecryptError && error instanceof StepFailedError);
  assert.equal(error.exitCode, ExitCode.stepFailed);
  assert.ok(error.hint && error.hint.length > 10, 'every decryption error carries a hint');
  if (pattern) assert.match(error.message, pattern);
}

/** Replaces one base64 character with another valid one (a plain XOR could make the header unparsable). */
function swapBase64(data: Buffer, offset: number): Buffer {
  const copy = Buffer.from(data);
  copy[offset] = copy[offset] === 0x41 ? 0x42 : 0x41; // 'A' <-> 'B'
  return copy;
}

function flipByte(data: Buffer, offset: number): Buffer {
  const copy = Buffer.from(data);
  copy[offset] = (copy[offset] as number) ^ 0x01;
  return copy;
}

describe('age decryption failures', () => {
  let folder: Awaited<ReturnType<typeof privateFolder>>;
  let identityA: AgeIdentity[];
  let identityB: AgeIdentity[];
  let recipientA: AgeRecipient[];
  let recipientB: AgeRecipient[];
  const plaintext = randomBytes(3 * 65536 + 100); // chunks 0-2 full, chunk 3 short
  let ciphertext: Buffer;
  let header: number;
  let payload: number; // offset of chunk 0

  before(async () => {
    folder = await privateFolder();
    const keyA = ageKeygen(join(folder.dir, 'a.txt'));
    const keyB = ageKeygen(join(folder.dir, 'b.txt'));
    identityA = await readIdentitiesFile(keyA.path);
    identityB = await readIdentitiesFile(keyB.path);
    recipientA = parseRecipientList(keyA.recipient);
    recipientB = parseRecipientList(keyB.recipient);
    ciphertext = await encryptBuffer(plaintext, recipientA);
    header = headerLength(ciphertext);
    payload = header + 16;
    assert.equal(ciphertext.length, payload + 3 * SEALED_CHUNK_SIZE + 116);
    assert.ok((await decryptBuffer(ciphertext, identityA)).equals(plaintext)); // the intact file opens
  });
  after(() => folder.cleanup());

  it('wrong identity: says so, names the fix, shows no secret', async () => {
    const { error, emitted } = await decryptExpectingFailure(ciphertext, identityB);
    assertTyped(error, AgeNoMatchingIdentityError, /^no identity matches any recipient of this file/);
    assert.match((error as AgeDecryptError).hint ?? '', /fetch the backup identity from the vault/);
    assert.match((error as Error).message, /1 X25519/);
    assert.ok(!(error as Error).message.includes(identityB[0]!.revealSecret()));
    assert.equal(emitted.length, 0);
    // the age CLI agrees that B cannot open it
    assert.throws(() => run(AGE, ['-d', '-i', join(folder.dir, 'b.txt')], ciphertext), /no identity matched/);
  });

  it('a post-quantum-only file: no match, with a hint about its recipient type', async () => {
    const encrypter = new Encrypter();
    encrypter.addRecipient(await identityToRecipient(await generateHybridIdentity()));
    const pq = Buffer.from(await encrypter.encrypt(new Uint8Array(10)));
    const { error } = await decryptExpectingFailure(pq, identityA);
    assertTyped(error, AgeNoMatchingIdentityError);
    assert.deepEqual((error as AgeNoMatchingIdentityError).stanzaTypes, ['mlkem768x25519']);
    assert.match((error as AgeDecryptError).hint ?? '', /no X25519 recipient/);
  });

  const truncations: Array<[string, () => number, ErrorClass]> = [
    ['inside the version line', () => 10, AgeTruncatedError],
    ['inside the header', () => header - 5, AgeTruncatedError],
    ['right after the header', () => header, AgeTruncatedError],
    ['inside the nonce', () => header + 8, AgeTruncatedError],
    ['right after the nonce', () => payload, AgeTruncatedError],
    ['at the boundary after chunk 0', () => payload + SEALED_CHUNK_SIZE, AgeTruncatedError],
    ['at the boundary after chunk 1', () => payload + 2 * SEALED_CHUNK_SIZE, AgeTruncatedError],
    ['at the boundary before the last chunk', () => payload + 3 * SEALED_CHUNK_SIZE, AgeTruncatedError],
    ['10 bytes into the last chunk', () => payload + 3 * SEALED_CHUNK_SIZE + 10, AgeTruncatedError],
    ['16 bytes into a chunk', () => payload + SEALED_CHUNK_SIZE + 16, AgeTruncatedError],
    ['one byte short of the end', () => ciphertext.length - 1, AgeAuthenticationError],
    ['in the middle of chunk 2', () => payload + 2 * SEALED_CHUNK_SIZE + 30_000, AgeAuthenticationError],
  ];
  for (const [where, cut, expected] of truncations) {
    it(`truncated ${where}: fails (${expected.name}) and never emits the whole plaintext`, async () => {
      const at = cut();
      for (const pieceSize of [65536, 1000]) {
        const { error, emitted } = await decryptExpectingFailure(ciphertext.subarray(0, at), identityA, pieceSize);
        assertTyped(error, expected);
        if (error instanceof AgeAuthenticationError) {
          assert.ok(error.possiblyTruncated, 'a failing last chunk is reported as possibly truncated');
          assert.match(error.message, /cut short/);
        }
        assert.ok(emitted.length < plaintext.length);
        assert.ok(emitted.equals(plaintext.subarray(0, emitted.length)), 'what was emitted is authentic');
      }
    });
  }

  it('a file whose last chunk is full, cut after its first chunk: truncated (chunk not marked last)', async () => {
    const full = randomBytes(2 * 65536);
    const sealed = await encryptBuffer(full, recipientA);
    const cut = headerLength(sealed) + 16 + SEALED_CHUNK_SIZE;
    const { error, emitted } = await decryptExpectingFailure(sealed.subarray(0, cut), identityA);
    assertTyped(error, AgeTruncatedError, /not marked last/);
    assert.equal(emitted.length, 0);
  });

  it('empty input and garbage are not age files', async () => {
    for (const input of [
      Buffer.alloc(0),
      randomBytes(100_000),
      Buffer.from('PGDMP\x01\x0e\x00'),
      Buffer.from('age-encryption.org/v2\n'),
    ]) {
      const { error } = await decryptExpectingFailure(input, identityA);
      assertTyped(error, AgeNotAgeFileError, /^not an age file/);
    }
  });

  it('an armored file is refused with a hint about armor', async () => {
    const armored = run(AGE, ['-e', '-a', '-r', recipientA[0]!], Buffer.from('hello'));
    const { error } = await decryptExpectingFailure(armored, identityA);
    assertTyped(error, AgeNotAgeFileError, /armored/);
  });

  it('a header that never ends is refused within a bounded size', async () => {
    const endless = Buffer.concat([Buffer.from('age-encryption.org/v1\n'), Buffer.alloc(1024 * 1024, 'A')]);
    const { error } = await decryptExpectingFailure(endless, identityA);
    assertTyped(error, AgeHeaderError, /no end of header/);
  });

  it('one byte changed in the version line: not an age file', async () => {
    const { error } = await decryptExpectingFailure(flipByte(ciphertext, 3), identityA);
    assertTyped(error, AgeNotAgeFileError);
  });

  it('one character changed in the header MAC: header error', async () => {
    const { error, emitted } = await decryptExpectingFailure(swapBase64(ciphertext, header - 20), identityA);
    assertTyped(error, AgeHeaderError, /damaged or was altered/);
    assert.equal(emitted.length, 0);
  });

  it("one character changed in another recipient's stanza: the MAC catches it", async () => {
    const two = await encryptBuffer(plaintext, [...recipientA, ...recipientB]);
    const secondStanza = two.indexOf('-> X25519', two.indexOf('-> X25519') + 1);
    const bodyLine = two.indexOf('\n', secondStanza) + 5;
    const { error } = await decryptExpectingFailure(swapBase64(two, bodyLine), identityA);
    assertTyped(error, AgeHeaderError);
    assert.ok((await decryptBuffer(two, identityA)).equals(plaintext)); // and untouched it opens
  });

  const flips: Array<[string, () => number, number, boolean]> = [
    ['in the nonce', () => payload - 1, 0, false],
    ['in chunk 0', () => payload + 100, 0, false],
    ['in the tag of chunk 1', () => payload + 2 * SEALED_CHUNK_SIZE - 1, 65536, false],
    ['in the last chunk', () => ciphertext.length - 50, 3 * 65536, true],
  ];
  for (const [where, offset, emittedBefore, last] of flips) {
    it(`one byte flipped ${where}: authentication fails, nothing unauthenticated is emitted`, async () => {
      const { error, emitted } = await decryptExpectingFailure(flipByte(ciphertext, offset()), identityA);
      assertTyped(error, AgeAuthenticationError, /does not authenticate/);
      assert.equal((error as AgeAuthenticationError).possiblyTruncated, last);
      assert.equal(emitted.length, emittedBefore);
      assert.ok(emitted.equals(plaintext.subarray(0, emittedBefore)));
    });
  }

  it('bytes appended after the last chunk: authentication fails', async () => {
    const { error } = await decryptExpectingFailure(Buffer.concat([ciphertext, Buffer.from('x')]), identityA);
    assertTyped(error, AgeAuthenticationError);
  });
});
