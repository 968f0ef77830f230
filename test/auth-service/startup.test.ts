/**
 * The auth-service refuses to start, as Obexal does, when it cannot read a stored secret with the keys it was
 * given, when its key is missing or malformed, or when the schema is not one it can work with; and the
 * executable's usage errors.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { encryptSecret, generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { withCluster } from '../helpers/pg.js';
import {
  runAuthService,
  seededDatabase,
  serviceEnv,
  startAuthService,
  withClient,
  type SeededDatabase,
} from './fixture.js';
import { freeLoopbackPort } from '../../src/core/free-port.js';

const clusterReady = withCluster();
let db: SeededDatabase;

before(async () => {
  db = await seededDatabase(await clusterReady, 'auth_startup');
});

function databasePassword(url: string): string {
  return decodeURIComponent(new URL(url).password);
}

function assertNoSecrets(text: string, secrets: string[]): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret reached the output');
}

describe('serve refuses to start', () => {
  it('with a wrong ENCRYPTION_KEY: exit 1, naming tables and rows, never a key', async () => {
    const wrongKey = generateEncryptionKey();
    const port = await freeLoopbackPort();
    const result = await runAuthService(['serve'], { ...serviceEnv(db), ENCRYPTION_KEY: wrongKey, PORT: String(port) });
    assert.equal(result.exitCode, 1);
    assert.ok(!result.stdout.includes('listening'));
    assert.match(result.stderr, /mfa_totp\.secret_enc: \d+ value\(s\) no key decrypts \(user_id=[0-9a-f-]{36}/);
    assert.match(result.stderr, /oidc_signing_keys\.private_key_enc: 2 value\(s\) no key decrypts \(kid=/);
    assert.match(result.stderr, /webhooks\.secret_enc: \d+ value\(s\) no key decrypts \(id=/);
    assert.match(result.stderr, /hint: /);
    const stored = await withClient(db.url, (c) =>
      c.query<{ secret_enc: string }>('SELECT secret_enc FROM mfa_totp LIMIT 1'),
    );
    assertNoSecrets(result.stdout + result.stderr, [
      wrongKey,
      db.keyText,
      databasePassword(db.url),
      stored.rows[0]!.secret_enc,
    ]);
  });

  it('when a single stored value was written under another key, naming that row', async () => {
    const other = parseEncryptionKey(generateEncryptionKey());
    const { rows } = await withClient(db.url, (c) =>
      c.query<{ id: string; secret_enc: string }>('SELECT id, secret_enc FROM webhooks ORDER BY id LIMIT 1'),
    );
    const row = rows[0]!;
    await withClient(db.url, (c) =>
      c.query('UPDATE webhooks SET secret_enc = $2 WHERE id = $1', [row.id, encryptSecret('whsec_other', other)]),
    );
    try {
      const result = await runAuthService(['serve'], { ...serviceEnv(db), PORT: String(await freeLoopbackPort()) });
      assert.equal(result.exitCode, 1);
      assert.match(
        result.stderr,
        new RegExp(`webhooks\\.secret_enc: 1 value\\(s\\) no key decrypts \\(id=${row.id}\\)`),
      );
      assert.doesNotMatch(result.stderr, /mfa_totp|oidc_signing_keys/);
      // With the other key as an old one it starts: values of an older era are read, as Obexal reads them.
      const service = await startAuthService(serviceEnv(db, { ENCRYPTION_KEY_OLD: other.toString('base64') }));
      assert.equal(await service.stop(), 0);
    } finally {
      await withClient(db.url, (c) =>
        c.query('UPDATE webhooks SET secret_enc = $2 WHERE id = $1', [row.id, row.secret_enc]),
      );
    }
  });

  it('without ENCRYPTION_KEY, or with one that is not 32 bytes of base64', async () => {
    for (const key of [undefined, '', 'not-base64!', Buffer.alloc(16, 7).toString('base64')]) {
      const result = await runAuthService(['serve'], {
        DATABASE_URL: db.url,
        ENCRYPTION_KEY: key,
        PORT: String(await freeLoopbackPort()),
      });
      assert.equal(result.exitCode, 1, String(result.stderr));
      assert.match(result.stderr, /ENCRYPTION_KEY (is not set|is not valid base64|decodes to 16 bytes)/);
      if (key) assertNoSecrets(result.stderr, [key]);
    }
  });

  it('with a malformed ENCRYPTION_KEY_OLD item', async () => {
    const result = await runAuthService(
      ['serve'],
      serviceEnv(db, { ENCRYPTION_KEY_OLD: `${generateEncryptionKey()},short`, PORT: '0' }),
    );
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /ENCRYPTION_KEY_OLD item 2/);
  });

  it('when the database is unreachable, without printing its password', async () => {
    const url = new URL(db.url);
    url.port = String(await freeLoopbackPort());
    const result = await runAuthService(['serve'], {
      DATABASE_URL: url.toString(),
      ENCRYPTION_KEY: db.keyText,
      PORT: '0',
    });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /cannot reach the database of DATABASE_URL/);
    assertNoSecrets(result.stdout + result.stderr, [databasePassword(db.url), db.keyText]);
  });

  it('when its port is taken', async () => {
    const first = await startAuthService(serviceEnv(db));
    try {
      const result = await runAuthService(['serve'], serviceEnv(db, { PORT: String(first.port) }));
      assert.equal(result.exitCode, 1);
      assert.match(result.stderr, new RegExp(`port ${first.port} .*already in use`));
    } finally {
      assert.equal(await first.stop('SIGINT'), 0);
    }
  });

  it('on a schema a breaking migration changed (users.display_name renamed)', async () => {
    const broken = await seededDatabase(await clusterReady, 'auth_startup_v6', { include: [6] });
    const result = await runAuthService(['serve'], serviceEnv(broken, { PORT: '0' }));
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /schema .*display_name/);
  });
});

describe('configuration', () => {
  it('announces ISSUER in openid-configuration when set, and listens on HOST', async () => {
    const service = await startAuthService(serviceEnv(db, { ISSUER: 'https://id.example.test/', HOST: '127.0.0.1' }));
    try {
      const config = (await (await fetch(`${service.baseUrl}/.well-known/openid-configuration`)).json()) as Record<
        string,
        string
      >;
      assert.equal(config.issuer, 'https://id.example.test');
      assert.equal(config.jwks_uri, 'https://id.example.test/.well-known/jwks.json');
    } finally {
      await service.stop();
    }
  });
});

describe('usage', () => {
  it('exits 2 with the usage on stderr for an unknown subcommand, none, or bad arguments', async () => {
    for (const args of [
      ['bogus'],
      [],
      ['serve', 'extra'],
      ['rotate-keys', 'soon'],
      ['rotate-keys', '-1'],
      ['reencrypt-secrets', 'x'],
    ]) {
      const result = await runAuthService(args, {});
      assert.equal(result.exitCode, 2, args.join(' '));
      assert.match(result.stderr, /usage: obexal-sandbox-auth-service/);
      assert.equal(result.stdout, '');
    }
  });
});
