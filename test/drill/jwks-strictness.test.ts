/**
 * One JWKS check for the restore, the drill, the key rotation and the rollback (src/drill/checks.ts): `exact`
 * (the drill's default) wants exactly the database's signing keys, `any` (the restore's default) at least one;
 * LIVE_JWKS_STRICTNESS sets it for every check. Against a real HTTP server serving a JWK set.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { checkJwks, jwksStrictness, OBEXAL_ENDPOINTS } from '../../src/drill/checks.js';

describe('the JWKS check and its strictness', () => {
  let server: Server;
  let base = '';
  let served: unknown = { keys: [{ kid: 'k1' }, { kid: 'k-new' }] };
  before(async () => {
    server = createServer((_, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const check = (kids: string[] | undefined, strictness: 'exact' | 'any') =>
    checkJwks(base, OBEXAL_ENDPOINTS, kids, AbortSignal.timeout(10_000), strictness);

  it('exact fails on a key the database does not hold; any passes with one of them', async () => {
    served = { keys: [{ kid: 'k1' }, { kid: 'k-new' }] };
    const exact = await check(['k1', 'k2'], 'exact');
    assert.equal(exact.passed, false);
    assert.match(exact.reason, /missing k2; not in the restored database: k-new/);
    const any = await check(['k1', 'k2'], 'any');
    assert.equal(any.passed, true, any.reason);
    assert.equal(any.details.matched, 1);
    assert.match(any.reason, /2 key\(s\), 1 of the restored database's 2/);
    assert.equal((await check(['k1', 'k-new'], 'exact')).passed, true);
  });

  it('any fails when none of the keys is served, or the database holds none; no table checks only the keys', async () => {
    served = { keys: [{ kid: 'other' }] };
    const none = await check(['k1'], 'any');
    assert.equal(none.passed, false);
    assert.match(none.reason, /serves none of the restored database's signing keys \(k1\)/);
    assert.equal((await check([], 'any')).passed, false);
    assert.equal((await check(undefined, 'exact')).passed, true);
    served = { keys: [] };
    assert.match((await check(undefined, 'any')).reason, /lists no key/);
  });

  it("the step's own strictness, else LIVE_JWKS_STRICTNESS, else the check's default; a bad setting is refused", () => {
    assert.equal(jwksStrictness('any', 'exact', 'exact'), 'any');
    assert.equal(jwksStrictness(undefined, 'any', 'exact'), 'any');
    assert.equal(jwksStrictness(undefined, undefined, 'any'), 'any');
    assert.equal(jwksStrictness(undefined, '', 'exact'), 'exact');
    assert.throws(() => jwksStrictness(undefined, 'loose', 'exact'), UsageError);
  });
});
