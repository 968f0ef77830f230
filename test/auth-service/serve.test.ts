/**
 * The sandbox auth-service over real HTTP: the real executable against a real, seeded database, driven with fetch
 * as a drill drives Obexal (CSRF, password login, the MFA challenge, TOTP, the session cookie, /me, JWKS).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decryptSecret } from '../../src/keys/secret-value.js';
import { withCluster } from '../helpers/pg.js';
import {
  addUser,
  seededDatabase,
  serviceEnv,
  startAuthService,
  totpCode,
  withClient,
  type RunningService,
  type SeededDatabase,
  type TestUser,
} from './fixture.js';
import { AuthClient, wrongCode, type Json } from './http-client.js';

// At the top level, so that the cluster's after() hook belongs to the whole file.
const clusterReady = withCluster();
let db: SeededDatabase;
let service: RunningService;

before(async () => {
  const cluster = await clusterReady;
  db = await seededDatabase(cluster, 'auth_serve');
  service = await startAuthService(serviceEnv(db));
  client = new AuthClient(service.baseUrl, db.drill.tenant);
});

after(async () => {
  await service?.stop();
  if (process.env.AUTH_TEST_DEBUG) console.log(service?.output());
});

let client: AuthClient;

describe('serve', () => {
  it('answers the MFA challenge to a password login, and a TOTP code completes it with a session cookie', async () => {
    const first = await client.login(db.drill.email, db.drill.password);
    assert.equal(first.status, 200);
    assert.equal(first.body.mfaRequired, true);
    assert.deepEqual(first.body.methods, ['totp']);
    assert.match(first.body.mfaToken, /^[A-Za-z0-9_-]{32,}$/);
    assert.equal(first.headers.get('set-cookie'), null, 'no session before the second factor');

    const csrfPair = await client.csrf();
    const code = totpCode(db.drill.totpSecret);
    const done = await client.mfa(first.body.mfaToken, code, csrfPair);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const setCookie = done.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^obexal_session=[A-Za-z0-9_-]+;/);
    for (const attribute of ['HttpOnly', 'SameSite=Lax', 'Path=/']) assert.ok(setCookie.includes(attribute), attribute);
    assert.equal(done.body.email, db.drill.email);
    assert.equal(done.body.id, db.drill.userId);

    const sessionCookie = setCookie.split(';')[0]!;
    const token = sessionCookie.slice('obexal_session='.length);
    const stored = await withClient(db.url, (c) =>
      c.query<{ token_sha256: string; user_id: string; ua: string }>(
        'SELECT token_sha256, user_id, user_agent AS ua FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1',
        [db.drill.userId],
      ),
    );
    const { createHash } = await import('node:crypto');
    assert.equal(
      stored.rows[0]?.token_sha256,
      createHash('sha256').update(token).digest('hex'),
      'only the SHA-256 of the token is stored',
    );

    const me = await fetch(`${service.baseUrl}/v1/auth/me`, { headers: { cookie: sessionCookie } });
    assert.equal(me.status, 200);
    const profile = (await me.json()) as Json;
    assert.deepEqual(Object.keys(profile).sort(), [
      'department',
      'display_name',
      'email',
      'family_name',
      'given_name',
      'id',
      'job_title',
      'locale',
      'tenant',
    ]);
    assert.equal(profile.email, db.drill.email);
    assert.equal(profile.tenant, db.drill.tenant);
    assert.equal(typeof profile.display_name, 'string');

    // The same code again on a fresh challenge is a replay (its time step was used), even within the window.
    const replayChallenge = await client.challenge(db.drill);
    const replay = await client.mfa(replayChallenge, code, await client.csrf());
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, 'invalid_mfa_code');
  });

  it('answers 401 unauthenticated on /v1/auth/me without a session or with an unknown one', async () => {
    for (const headers of [{}, { cookie: 'obexal_session=not-a-session' }] as Record<string, string>[]) {
      const response = await fetch(`${service.baseUrl}/v1/auth/me`, { headers });
      assert.equal(response.status, 401);
      const body = (await response.json()) as Json;
      assert.equal(body.error.code, 'unauthenticated');
      assert.equal(typeof body.error.message, 'string');
    }
  });

  it('signs a user without MFA in directly', async () => {
    const user = await addUser(db, 'no-mfa', { totp: false });
    const answer = await client.login(user.email, user.password);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.mfaRequired, false);
    assert.equal(answer.body.user.email, user.email);
    const cookie = (answer.headers.get('set-cookie') ?? '').split(';')[0]!;
    const me = await fetch(`${service.baseUrl}/v1/auth/me`, { headers: { cookie } });
    assert.equal(((await me.json()) as Json).id, user.userId);
  });

  it('answers a wrong password, an unknown email, an unknown tenant and a disabled account alike', async () => {
    const disabled = await addUser(db, 'disabled', { status: 'disabled' });
    const answers = [
      await client.login(db.drill.email, `${db.drill.password}x`),
      await client.login('nobody@drill.obexal.test', db.drill.password),
      await client.login(db.drill.email, db.drill.password, 'no-such-tenant'),
      await client.login(disabled.email, disabled.password),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 401);
      assert.deepEqual(answer.body, {
        error: { code: 'invalid_credentials', message: answers[0]!.body.error.message },
      });
    }
    const missingTenant = await fetch(`${service.baseUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: db.drill.email, password: db.drill.password }),
    });
    assert.equal(missingTenant.status, 400);
  });

  describe('MFA challenge', () => {
    let user: TestUser;
    before(async () => {
      user = await addUser(db, 'mfa-limits');
    });

    it('counts down the attempts on wrong codes and is exhausted after 5', async () => {
      const token = await client.challenge(user);
      const csrfPair = await client.csrf();
      const bad = wrongCode(user.totpSecret!);
      for (let attempt = 1; attempt <= 5; attempt++) {
        const answer = await client.mfa(token, bad, csrfPair);
        assert.equal(answer.status, 401);
        assert.equal(answer.body.error.code, 'invalid_mfa_code');
        assert.equal(answer.body.error.attemptsLeft, 5 - attempt);
      }
      const afterwards = await client.mfa(token, totpCode(user.totpSecret!), csrfPair);
      assert.equal(afterwards.status, 401);
      assert.equal(
        afterwards.body.error.code,
        'mfa_challenge_invalid',
        'even the right code fails on an exhausted challenge',
      );
    });

    it('cannot be used twice', async () => {
      const token = await client.challenge(user);
      const csrfPair = await client.csrf();
      const done = await client.mfa(token, totpCode(user.totpSecret!, 1), csrfPair); // the next step: still in the ±1 window
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const again = await client.mfa(token, totpCode(user.totpSecret!, 1), csrfPair);
      assert.equal(again.status, 401);
      assert.equal(again.body.error.code, 'mfa_challenge_invalid');
    });

    it('refuses an MFA completion without the CSRF token, or with one that does not match its cookie', async () => {
      const token = await client.challenge(user);
      const missing = await client.mfa(token, totpCode(user.totpSecret!), undefined);
      assert.equal(missing.status, 403);
      assert.equal(missing.body.error.code, 'csrf_failed');
      const pair = await client.csrf();
      const mismatched = await client.mfa(token, totpCode(user.totpSecret!), {
        token: `${pair.token}x`,
        cookie: pair.cookie,
      });
      assert.equal(mismatched.status, 403);
      assert.equal(mismatched.body.error.code, 'csrf_failed');
      const headerOnly = await fetch(`${service.baseUrl}/v1/auth/mfa`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': pair.token },
        body: JSON.stringify({ mfaToken: token, code: '123456' }),
      });
      assert.equal(headerOnly.status, 403);
      // A CSRF failure spends no attempt: the challenge still takes a wrong code with 4 left.
      const wrong = await client.mfa(token, wrongCode(user.totpSecret!), pair);
      assert.equal(wrong.body.error.attemptsLeft, 4);
    });

    it('rejects an unknown challenge', async () => {
      const answer = await client.mfa('no-such-challenge', '123456', await client.csrf());
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error.code, 'mfa_challenge_invalid');
    });
  });

  it('serves the public keys of the active and the retired signing keys in the JWKS', async () => {
    const response = await fetch(`${service.baseUrl}/.well-known/jwks.json`);
    assert.equal(response.status, 200);
    const jwks = (await response.json()) as Json;
    const rows = await withClient(db.url, (c) =>
      c.query<{ kid: string; status: string; private_key_enc: string }>(
        'SELECT kid, status, private_key_enc FROM oidc_signing_keys',
      ),
    );
    assert.deepEqual(new Set(rows.rows.map((r) => r.status)), new Set(['active', 'retired']));
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), rows.rows.map((r) => r.kid).sort());
    const active = rows.rows.find((r) => r.status === 'active')!;
    assert.equal(jwks.keys[0]!.kid, active.kid, 'the active key comes first');
    const { createPrivateKey, createPublicKey } = await import('node:crypto');
    for (const row of rows.rows) {
      const jwk = jwks.keys.find((k) => k.kid === row.kid)!;
      assert.equal(jwk.kty, 'RSA');
      assert.equal(jwk.alg, 'RS256');
      assert.equal(jwk.use, 'sig');
      assert.equal(jwk.d, undefined, 'no private part');
      // The served public key is the public half of the stored private key.
      const privateKey = createPrivateKey(decryptSecret(row.private_key_enc, [db.key]).plaintext);
      assert.equal(createPublicKey(privateKey).export({ format: 'jwk' }).n, jwk.n);
    }
  });

  it('serves an openid-configuration whose jwks_uri works', async () => {
    const config = (await (await fetch(`${service.baseUrl}/.well-known/openid-configuration`)).json()) as Json;
    assert.equal(config.issuer, service.baseUrl);
    assert.equal(config.jwks_uri, `${service.baseUrl}/.well-known/jwks.json`);
    assert.ok(config.authorization_endpoint.startsWith(service.baseUrl));
    assert.ok(config.token_endpoint.startsWith(service.baseUrl));
    assert.deepEqual(config.id_token_signing_alg_values_supported, ['RS256']);
    assert.equal((await fetch(config.jwks_uri)).status, 200);
  });

  it("answers unknown routes and wrong methods in Obexal's error envelope", async () => {
    const unknown = await fetch(`${service.baseUrl}/v1/nothing-here`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as Json).error.code, 'not_found');
    const wrongMethod = await fetch(`${service.baseUrl}/v1/auth/login`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(((await wrongMethod.json()) as Json).error.code, 'method_not_allowed');
    const badJson = await fetch(`${service.baseUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-obexal-tenant': 'drill' },
      body: '{not json',
    });
    assert.equal(badJson.status, 400);
    assert.equal(((await badJson.json()) as Json).error.code, 'invalid_request');
    assert.equal((await fetch(`${service.baseUrl}/healthz`)).status, 200);
  });

  it("writes audit events as Obexal's for logins and MFA", async () => {
    const { rows } = await withClient(db.url, (c) =>
      c.query<{ action: string; n: string }>(
        `SELECT action, count(*) AS n FROM audit_log
         WHERE action LIKE 'auth.%' AND user_agent = 'auth-service-test/1.0' OR (action LIKE 'auth.mfa.%' AND created_at > now() - interval '10 minutes')
         GROUP BY action`,
      ),
    );
    const counts = Object.fromEntries(rows.map((r) => [r.action, Number(r.n)]));
    for (const action of ['auth.login.succeeded', 'auth.login.failed', 'auth.mfa.succeeded', 'auth.mfa.failed']) {
      assert.ok((counts[action] ?? 0) > 0, `${action} written`);
    }
    const failed = await withClient(db.url, (c) =>
      c.query<{ ip: string; metadata: Json; actor_email: string }>(
        `SELECT ip, metadata, actor_email FROM audit_log WHERE action = 'auth.login.failed' AND actor_email = $1 LIMIT 1`,
        ['nobody@drill.obexal.test'],
      ),
    );
    assert.equal(failed.rows[0]?.ip, '127.0.0.1');
    assert.equal(failed.rows[0]?.metadata.reason, 'invalid_credentials');
  });

  it('never writes a password, a TOTP code or secret, the key or the database password to its output', async () => {
    const output = service.output();
    const databasePassword = decodeURIComponent(new URL(db.url).password);
    for (const secret of [db.drill.password, db.drill.totpSecret, db.keyText, databasePassword]) {
      assert.ok(!output.includes(secret), 'a secret reached the output');
    }
  });

  it('stops on SIGTERM with exit code 0', async () => {
    assert.equal(await service.stop('SIGTERM'), 0);
  });
});
