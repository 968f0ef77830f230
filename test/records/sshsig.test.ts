/**
 * Interoperability with the real OpenSSH: records signed here verify with `ssh-keygen -Y verify`, the private key
 * file we write is one `ssh-keygen -Y sign` uses, and signatures ssh-keygen makes verify here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StepFailedError } from '../../src/core/errors.js';
import { loadOrCreateSigningKey, type SigningKey } from '../../src/records/signing-key.js';
import { decodeOpenSshPrivateKey, fingerprint, publicKeyLine } from '../../src/records/ssh-keys.js';
import { parseSshsig, RECORD_NAMESPACE, signSshsig, verifySshsig } from '../../src/records/sshsig.js';
import { appendRecord, verifyRecords } from '../../src/records/store.js';
import { NAMESPACE, signingKey, sshKeygenVerify, workspace, writeAllowedSigners, type Workspace } from './helpers.js';

describe('OpenSSH signatures', () => {
  let ws: Workspace;
  let key: SigningKey;
  before(async () => {
    ws = await workspace();
    key = await signingKey(ws);
  });
  after(() => ws.cleanup());

  it('signs records that ssh-keygen -Y verify accepts, and rejects once one byte changes', async () => {
    assert.equal(RECORD_NAMESPACE, NAMESPACE);
    const allowed = await writeAllowedSigners(ws, key);
    const appended = await appendRecord({
      recordsDir: ws.recordsDir,
      key: key.keyPair,
      principal: key.principal,
      record: { runbook: 'drill', runId: 'r1', outcome: 'passed', totals: { rtoSeconds: 412 } },
    });
    const good = sshKeygenVerify(allowed, key.principal, appended.path);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /Good "obexal-runbook-record@v1" signature/);

    const wrongPrincipal = sshKeygenVerify(allowed, 'someone@else', appended.path);
    assert.notEqual(wrongPrincipal.status, 0);

    const bytes = await readFile(appended.path);
    const at = bytes.indexOf('412');
    bytes[at] = bytes[at]! ^ 0x01; // '4' becomes '5': still valid JSON, different content
    await writeFile(appended.path, bytes);
    const bad = sshKeygenVerify(allowed, key.principal, appended.path);
    assert.notEqual(bad.status, 0, 'ssh-keygen must reject the changed record');

    const result = await verifyRecords({
      recordsDir: ws.recordsDir,
      allowedSignersFile: allowed,
      localPublicKey: key.keyPair.publicKey,
    });
    assert.equal(result.ok, false);
    assert.equal(result.problems[0]?.file, appended.file);
    assert.equal(result.problems[0]?.kind, 'bad-signature');
  });

  it('writes a private key that ssh-keygen reads and signs with, and verifies what ssh-keygen signs', async () => {
    const derived = spawnSync('ssh-keygen', ['-y', '-f', key.path], { encoding: 'utf8' });
    assert.equal(derived.status, 0, derived.stderr);
    assert.equal(derived.stdout.trim().split(' ').slice(0, 2).join(' '), publicKeyLine(key.keyPair.publicKey));

    const listed = spawnSync('ssh-keygen', ['-l', '-f', `${key.path}.pub`], { encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    assert.equal(listed.stdout.split(' ')[1], fingerprint(key.keyPair.publicKey));

    const message = join(ws.root, 'message.json');
    await writeFile(message, '{"hello":"world"}\n');
    const signed = spawnSync('ssh-keygen', ['-Y', 'sign', '-f', key.path, '-n', NAMESPACE, message], {
      encoding: 'utf8',
    });
    assert.equal(signed.status, 0, signed.stderr);
    const armored = await readFile(`${message}.sig`, 'utf8');
    const verdict = verifySshsig(await readFile(message), armored);
    assert.equal(verdict.ok, true);
    assert.ok(verdict.publicKey?.equals(key.keyPair.publicKey));

    // the same signature over other bytes, or in another namespace, does not verify
    assert.equal(verifySshsig(Buffer.from('{"hello":"World"}\n'), armored).ok, false);
    const otherNamespace = verifySshsig(await readFile(message), armored, 'file');
    assert.equal(otherNamespace.ok, false);
    assert.match(otherNamespace.ok ? '' : otherNamespace.reason, /namespace/);
  });

  it('produces the armor ssh-keygen produces: 70 columns, sha512, empty reserved', () => {
    const armored = signSshsig(Buffer.from('x'), key.keyPair);
    const lines = armored.trimEnd().split('\n');
    assert.equal(lines[0], '-----BEGIN SSH SIGNATURE-----');
    assert.equal(lines.at(-1), '-----END SSH SIGNATURE-----');
    for (const line of lines.slice(1, -2)) assert.equal(line.length, 70);
    const parsed = parseSshsig(armored);
    assert.equal(parsed.hashAlgorithm, 'sha512');
    assert.equal(parsed.namespace, NAMESPACE);
    assert.equal(parsed.reserved.length, 0);
  });

  it('reads a key made by ssh-keygen and signs records ssh-keygen verifies with it', async () => {
    const file = join(ws.root, 'operator_key');
    const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ops@backup-1', '-f', file]);
    assert.equal(made.status, 0);
    const operatorKey = await loadOrCreateSigningKey({
      configDir: ws.configDir,
      signingKeyFile: file,
      principal: 'ops@backup-1',
    });
    assert.equal(operatorKey.created, false);
    assert.equal(operatorKey.keyPair.comment, 'ops@backup-1');
    const appended = await appendRecord({
      recordsDir: join(ws.root, 'other-records'),
      key: operatorKey.keyPair,
      principal: operatorKey.principal,
      record: { runbook: 'backup', runId: 'b1', outcome: 'passed' },
    });
    const allowed = await writeAllowedSigners(ws, operatorKey, 'allowed_operator');
    const verdict = sshKeygenVerify(allowed, 'ops@backup-1', appended.path);
    assert.equal(verdict.status, 0, verdict.stderr);
  });

  it('refuses a key protected by a passphrase, and keys of other types, with a hint', async () => {
    const encrypted = join(ws.root, 'encrypted_key');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', encrypted]);
    await assert.rejects(
      loadOrCreateSigningKey({ configDir: ws.configDir, signingKeyFile: encrypted }),
      (error: unknown) => {
        assert.ok(error instanceof StepFailedError);
        assert.match(error.message, /passphrase/);
        assert.match(error.hint ?? '', /ssh-keygen -p/);
        assert.doesNotMatch(error.message, /correct horse/);
        return true;
      },
    );

    const rsa = join(ws.root, 'rsa_key');
    spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
    assert.throws(
      () => decodeOpenSshPrivateKey(readFileSync(rsa, 'utf8'), rsa),
      /ssh-rsa key; records are signed with Ed25519 keys only/,
    );

    const pem = join(ws.root, 'pem_key');
    const pkcs8 = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
    await writeFile(pem, pkcs8, { mode: 0o600 });
    await assert.rejects(loadOrCreateSigningKey({ configDir: ws.configDir, signingKeyFile: pem }), /PEM\/PKCS#8/);
  });
});
