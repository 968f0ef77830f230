/**
 * Where the signing key lives and how it is created, and the allowed_signers format `records verify` reads.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { StepFailedError, UsageError } from '../../src/core/errors.js';
import { decideTrust, parseAllowedSigners } from '../../src/records/allowed-signers.js';
import {
  allowedSignersLine,
  defaultPrincipal,
  loadOrCreateSigningKey,
  readSigningPublicKey,
} from '../../src/records/signing-key.js';
import { generateEd25519KeyPair, publicKeyLine } from '../../src/records/ssh-keys.js';
import { modeOf, workspace, type Workspace } from './helpers.js';

const NS = 'obexal-runbook-record@v1';

describe('the signing key', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(() => ws.cleanup());

  it('is created on first use in the configuration folder, 0600 in 0700, and reused after', async () => {
    assert.equal(await readSigningPublicKey({ configDir: ws.configDir }), undefined, 'reading never creates');
    const first = await loadOrCreateSigningKey({ configDir: ws.configDir, recordsDir: ws.recordsDir });
    assert.equal(first.created, true);
    assert.equal(first.path, join(ws.configDir, 'signing_key'));
    assert.equal(first.principal, `obexal-runbook@${hostname()}`);
    assert.equal(first.principal, defaultPrincipal());
    assert.equal(await modeOf(first.path), 0o600);
    assert.equal(await modeOf(ws.configDir), 0o700);
    assert.match(await readFile(first.path, 'utf8'), /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    assert.equal(
      (await readFile(`${first.path}.pub`, 'utf8')).trim(),
      publicKeyLine(first.keyPair.publicKey, first.principal),
    );
    assert.match(first.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);

    const second = await loadOrCreateSigningKey({ configDir: ws.configDir, principal: 'obexal-runbook@backup-1' });
    assert.equal(second.created, false);
    assert.ok(second.keyPair.publicKey.equals(first.keyPair.publicKey));
    assert.equal(second.principal, 'obexal-runbook@backup-1');
    assert.ok((await readSigningPublicKey({ configDir: ws.configDir }))?.equals(first.keyPair.publicKey));
  });

  it('is created once when many first uses race', async () => {
    const keys = await Promise.all(
      Array.from({ length: 8 }, () => loadOrCreateSigningKey({ configDir: ws.configDir })),
    );
    assert.equal(new Set(keys.map((k) => k.publicKeyLine)).size, 1);
    assert.equal(keys.filter((k) => k.created).length, 1);
    assert.deepEqual((await readdir(ws.configDir)).sort(), ['signing_key', 'signing_key.pub']);
  });

  it('is refused inside RECORDS_DIR, even through a relative path', async () => {
    await assert.rejects(
      loadOrCreateSigningKey({
        configDir: ws.configDir,
        recordsDir: ws.recordsDir,
        signingKeyFile: join(ws.recordsDir, 'sub', '..', 'key'),
      }),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, /inside RECORDS_DIR/);
        assert.match(error.hint ?? '', /SIGNING_KEY_FILE/);
        return true;
      },
    );
    await assert.rejects(
      loadOrCreateSigningKey({ configDir: join(ws.recordsDir, 'config'), recordsDir: ws.recordsDir }),
      UsageError,
    );
    assert.deepEqual(await readdir(ws.root), [], 'nothing was written');
  });

  it('refuses a SIGNING_KEY_FILE that is missing or readable by others', async () => {
    const missing = join(ws.root, 'nope');
    await assert.rejects(
      loadOrCreateSigningKey({ configDir: ws.configDir, signingKeyFile: missing }),
      (error: unknown) => {
        assert.ok(error instanceof StepFailedError);
        assert.match(error.hint ?? '', /ssh-keygen -t ed25519/);
        return true;
      },
    );
    const own = await loadOrCreateSigningKey({ configDir: ws.configDir });
    await chmod(own.path, 0o644);
    await assert.rejects(loadOrCreateSigningKey({ configDir: ws.configDir }), (error: unknown) => {
      assert.ok(error instanceof StepFailedError);
      assert.match(error.message, /accessible to other users \(mode 0644\)/);
      assert.match(error.hint ?? '', /chmod 600/);
      return true;
    });
  });

  it('prints the allowed-signers line with the namespace, and refuses principals that would break it', async () => {
    const pair = generateEd25519KeyPair();
    const line = allowedSignersLine('obexal-runbook@db-1', pair.publicKey);
    assert.equal(line, `obexal-runbook@db-1 namespaces="${NS}" ${publicKeyLine(pair.publicKey)}`);
    assert.equal(allowedSignersLine('obexal-runbook@db-1', `${publicKeyLine(pair.publicKey)} some comment`), line);
    for (const bad of ['two words', 'a,b', 'x"y', '*', ''])
      assert.throws(() => allowedSignersLine(bad, pair.publicKey), UsageError);
    await mkdir(ws.configDir, { recursive: true });
    await assert.rejects(loadOrCreateSigningKey({ configDir: ws.configDir, principal: 'has space' }), UsageError);
  });
});

describe('allowed_signers', () => {
  const [a, b, c] = [generateEd25519KeyPair(), generateEd25519KeyPair(), generateEd25519KeyPair()];
  const text = [
    '# auditors keep this file',
    '',
    `obexal-runbook@db-1 namespaces="${NS}" ${publicKeyLine(a.publicKey)} made on db-1`,
    `"obexal-runbook@db-*,!obexal-runbook@db-9" ${publicKeyLine(b.publicKey)}`,
    `ops@x namespaces="git,file" ${publicKeyLine(c.publicKey)}`,
    `old@x valid-before="20200101",namespaces="${NS}" ${publicKeyLine(c.publicKey)}`,
    'ops@x ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ',
    `ca@x cert-authority ${publicKeyLine(a.publicKey)}`,
  ].join('\n');
  const allowed = parseAllowedSigners(text);

  it('reads principals, options and keys, and sets aside lines it cannot use', () => {
    assert.equal(allowed.signers.length, 4);
    assert.deepEqual(
      allowed.skipped.map((s) => s.line),
      [7, 8],
    );
  });

  it('decides trust as ssh-keygen -Y verify would', () => {
    assert.deepEqual(decideTrust(allowed, a.publicKey, 'obexal-runbook@db-1', NS), { trusted: true });
    assert.equal(decideTrust(allowed, a.publicKey, 'obexal-runbook@db-2', NS).trusted, false);
    assert.deepEqual(decideTrust(allowed, b.publicKey, 'obexal-runbook@db-4', NS), { trusted: true });
    assert.equal(decideTrust(allowed, b.publicKey, 'obexal-runbook@db-9', NS).trusted, false, 'negated pattern');
    const wrongNamespace = decideTrust(allowed, c.publicKey, 'ops@x', NS);
    assert.equal(wrongNamespace.trusted, false);
    assert.match(wrongNamespace.trusted ? '' : wrongNamespace.reason, /namespaces "git,file"/);
    const expired = decideTrust(allowed, c.publicKey, 'old@x', NS);
    assert.match(expired.trusted ? '' : expired.reason, /until 2020/);
    const unknown = decideTrust(allowed, generateEd25519KeyPair().publicKey, 'obexal-runbook@db-1', NS);
    assert.match(unknown.trusted ? '' : unknown.reason, /^unknown signer: key SHA256:/);
  });
});
