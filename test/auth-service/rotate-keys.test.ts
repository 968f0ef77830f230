/**
 * `rotate-keys [grace_hours]` through the real executable: a new active RSA-2048 key whose private half is stored
 * encrypted under ENCRYPTION_KEY, the previous one retired and still served, keys retired longer than the grace
 * period purged, each step in the audit log.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { decryptSecret } from '../../src/keys/secret-value.js';
import { withCluster } from '../helpers/pg.js';
import {
  runAuthService,
  seededDatabase,
  serviceEnv,
  startAuthService,
  withClient,
  type SeededDatabase,
} from './fixture.js';

const clusterReady = withCluster();

interface KeyRow {
  kid: string;
  status: string;
  retired_at: Date | null;
  public_jwk: Record<string, string>;
  private_key_enc: string;
}

async function keys(db: SeededDatabase): Promise<KeyRow[]> {
  const { rows } = await withClient(db.url, (c) =>
    c.query<KeyRow>(
      'SELECT kid, status, retired_at, public_jwk, private_key_enc FROM oidc_signing_keys ORDER BY created_at',
    ),
  );
  return rows;
}

async function auditEvents(
  db: SeededDatabase,
  action: string,
): Promise<Array<{ target: string; metadata: Record<string, unknown> }>> {
  const { rows } = await withClient(db.url, (c) =>
    c.query<{ target: string; metadata: Record<string, unknown> }>(
      `SELECT target, metadata FROM audit_log WHERE action = $1 AND metadata->>'source' = 'cli' ORDER BY id`,
      [action],
    ),
  );
  return rows;
}

async function rotate(db: SeededDatabase, args: string[]): Promise<string> {
  const result = await runAuthService(['rotate-keys', ...args], serviceEnv(db));
  assert.equal(result.exitCode, 0, result.stderr);
  assert.ok(!(result.stdout + result.stderr).includes(db.keyText));
  const kid = /^new active signing key (\S+)$/m.exec(result.stdout)?.[1];
  assert.ok(kid, result.stdout);
  return kid;
}

describe('rotate-keys', () => {
  let db: SeededDatabase;
  let seededActive: string;
  let seededRetired: string;

  before(async () => {
    db = await seededDatabase(await clusterReady, 'auth_rotate');
    seededActive = db.summary.signingKeys.activeKid;
    seededRetired = db.summary.signingKeys.retiredKid; // retired 30 days ago by the seed
  });

  it('makes a new active key, retires the previous one, and keeps retired keys within the grace period', async () => {
    const newKid = await rotate(db, ['1000']);
    const rows = await keys(db);
    assert.deepEqual(
      rows.filter((r) => r.status === 'active').map((r) => r.kid),
      [newKid],
    );
    const previous = rows.find((r) => r.kid === seededActive)!;
    assert.equal(previous.status, 'retired');
    assert.ok(previous.retired_at && Date.now() - previous.retired_at.getTime() < 10 * 60_000, 'retired now');
    assert.ok(
      rows.some((r) => r.kid === seededRetired),
      'retired 30 days ago, inside a 1000-hour grace: kept',
    );

    const fresh = rows.find((r) => r.kid === newKid)!;
    const pem = decryptSecret(fresh.private_key_enc, [db.key]).plaintext;
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
    const privateKey = createPrivateKey(pem);
    assert.equal(privateKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(createPublicKey(privateKey).export({ format: 'jwk' }).n, fresh.public_jwk.n);
    assert.equal(fresh.public_jwk.kid, newKid);

    const rotated = await auditEvents(db, 'oauth.signing_key.rotated');
    assert.equal(rotated.length, 1);
    assert.equal(rotated[0]!.metadata.new_kid, newKid);
    assert.equal(rotated[0]!.metadata.retired_kid, seededActive);
    assert.equal((await auditEvents(db, 'oauth.signing_key.purged')).length, 0);

    // The service serves the new key first and the retired ones after it.
    const service = await startAuthService(serviceEnv(db));
    try {
      const jwks = (await (await fetch(`${service.baseUrl}/.well-known/jwks.json`)).json()) as {
        keys: Array<{ kid: string }>;
      };
      assert.equal(jwks.keys[0]!.kid, newKid);
      assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [newKid, seededActive, seededRetired].sort());
    } finally {
      await service.stop();
    }
  });

  it('purges keys retired longer than the default 24 hours', async () => {
    const before = await keys(db);
    const previousActive = before.find((r) => r.status === 'active')!.kid;
    const newKid = await rotate(db, []);
    const rows = await keys(db);
    assert.ok(!rows.some((r) => r.kid === seededRetired), 'retired 30 days ago: purged');
    assert.ok(
      rows.some((r) => r.kid === seededActive && r.status === 'retired'),
      'retired minutes ago: kept',
    );
    assert.ok(rows.some((r) => r.kid === previousActive && r.status === 'retired'));
    assert.deepEqual(
      rows.filter((r) => r.status === 'active').map((r) => r.kid),
      [newKid],
    );
    const purged = await auditEvents(db, 'oauth.signing_key.purged');
    assert.deepEqual(
      purged.map((e) => e.target),
      [`signing_key:${seededRetired}`],
    );
  });

  it('with a grace of 0 hours purges every key retired before this rotation', async () => {
    const previousActive = (await keys(db)).find((r) => r.status === 'active')!.kid;
    const newKid = await rotate(db, ['0']);
    const rows = await keys(db);
    assert.deepEqual(
      rows.map((r) => `${r.kid}:${r.status}`).sort(),
      [`${newKid}:active`, `${previousActive}:retired`].sort(),
    );
    assert.equal((await auditEvents(db, 'oauth.signing_key.rotated')).length, 3);
    assert.equal((await auditEvents(db, 'oauth.signing_key.purged')).length, 3);
  });

  it('refuses a grace period that is not a number of hours (exit 2), changing nothing', async () => {
    const before = await keys(db);
    const result = await runAuthService(['rotate-keys', '2 days'], serviceEnv(db));
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /grace_hours/);
    assert.deepEqual(
      (await keys(db)).map((r) => r.kid),
      before.map((r) => r.kid),
    );
  });
});
