import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { keyFingerprint } from '../../src/keys/fingerprint.js';
import {
  SecretDecryptionError,
  decryptSecret,
  encryptSecret,
  generateEncryptionKey,
  parseEncryptionKey,
} from '../../src/keys/secret-value.js';

describe('encrypted values (AES-256-GCM, nonce ‖ ciphertext ‖ tag)', () => {
  const key = parseEncryptionKey(generateEncryptionKey());
  const other = parseEncryptionKey(generateEncryptionKey());

  it('round-trips and reports which key opened the value', () => {
    const stored = encryptSecret('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', key);
    assert.deepEqual(decryptSecret(stored, [key]), { plaintext: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', keyIndex: 0 });
    assert.deepEqual(decryptSecret(stored, [other, key]), {
      plaintext: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
      keyIndex: 1,
    });
  });

  it('stores base64 of a 12-byte nonce, the ciphertext and a 16-byte tag, with a fresh nonce each time', () => {
    const plaintext = 'whsec_example-secret';
    const a = Buffer.from(encryptSecret(plaintext, key), 'base64');
    const b = Buffer.from(encryptSecret(plaintext, key), 'base64');
    assert.equal(a.length, 12 + Buffer.byteLength(plaintext) + 16);
    assert.notDeepEqual(a.subarray(0, 12), b.subarray(0, 12));
  });

  it('refuses a wrong key with a typed error that has a hint', () => {
    const stored = encryptSecret('secret', key);
    assert.throws(
      () => decryptSecret(stored, [other]),
      (e: unknown) => e instanceof SecretDecryptionError && e.keysTried === 1 && typeof e.hint === 'string',
    );
    assert.throws(() => decryptSecret(stored, []), SecretDecryptionError);
  });

  it('refuses a tampered value', () => {
    const raw = Buffer.from(encryptSecret('secret', key), 'base64');
    raw[14] = (raw[14] ?? 0) ^ 1;
    assert.throws(() => decryptSecret(raw.toString('base64'), [key]), SecretDecryptionError);
    assert.throws(() => decryptSecret('not base64 at all!', [key]), SecretDecryptionError);
    assert.throws(() => decryptSecret(Buffer.alloc(20).toString('base64'), [key]), SecretDecryptionError);
  });

  it('parses a key of exactly 32 bytes and rejects others without echoing them', () => {
    const text = generateEncryptionKey();
    assert.equal(text.length, 44);
    assert.deepEqual(parseEncryptionKey(` ${text}\n`), Buffer.from(text, 'base64'));
    const bad = [
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      randomBytes(32).toString('hex'),
      `${text.slice(0, 40)}%%%=`,
      '',
    ];
    for (const value of bad) {
      assert.throws(
        () => parseEncryptionKey(value),
        (e: unknown) => {
          assert.ok(e instanceof UsageError);
          assert.ok(e.hint);
          if (value) assert.ok(!`${e.message} ${e.hint}`.includes(value), 'the key must not appear in the error');
          return true;
        },
      );
    }
  });
});

describe('key-era fingerprint', () => {
  it('is hex SHA-256 of "obexal-key-era-v1", a zero byte and the raw key (checked with sha256sum)', () => {
    const key = randomBytes(32);
    const input = Buffer.concat([Buffer.from('obexal-key-era-v1'), Buffer.from([0]), key]);
    const independent = execFileSync('sha256sum', [], { input }).toString().split(' ')[0];
    assert.equal(keyFingerprint(key), independent);
    assert.match(keyFingerprint(key), /^[0-9a-f]{64}$/);
  });

  it('is stable and differs between keys', () => {
    const zero = Buffer.alloc(32);
    assert.equal(keyFingerprint(zero), keyFingerprint(Buffer.alloc(32)));
    assert.notEqual(keyFingerprint(zero), keyFingerprint(Buffer.alloc(32, 1)));
    assert.throws(() => keyFingerprint(Buffer.alloc(16)), UsageError);
  });
});
