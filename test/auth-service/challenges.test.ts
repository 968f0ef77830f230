/** The MFA challenge rules (single use, 5 minutes, 5 attempts) and the TOTP window, on the real modules. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { CHALLENGE_TTL_MS, MfaChallenges } from '../../src/sandbox/auth-service/mfa-challenges.js';
import { matchTotpStep } from '../../src/sandbox/auth-service/totp.js';
import { generateTotpSecret } from '../../src/sandbox/seed/totp-secret.js';

const subject = { userId: 'u1', tenantId: 't1', email: 'a@example.test' };

describe('MfaChallenges', () => {
  it('expires a challenge after 5 minutes', () => {
    let now = 1_000_000;
    const challenges = new MfaChallenges(() => now);
    const token = challenges.create(subject);
    now += CHALLENGE_TTL_MS - 1;
    const taken = challenges.take(token);
    assert.ok(taken);
    challenges.failed(token, taken);
    now += 1;
    assert.equal(challenges.take(token), undefined);
  });

  it('allows 5 attempts, then none', () => {
    const challenges = new MfaChallenges();
    const token = challenges.create(subject);
    const left: number[] = [];
    for (let i = 0; i < 5; i++) {
      const taken = challenges.take(token);
      assert.ok(taken, `attempt ${i + 1}`);
      left.push(challenges.failed(token, taken));
    }
    assert.deepEqual(left, [4, 3, 2, 1, 0]);
    assert.equal(challenges.take(token), undefined);
    assert.equal(challenges.size, 0);
  });

  it('is single use: a challenge taken and not put back is gone', () => {
    const challenges = new MfaChallenges();
    const token = challenges.create(subject);
    assert.deepEqual(challenges.take(token)?.userId, 'u1');
    assert.equal(challenges.take(token), undefined);
    assert.notEqual(challenges.create(subject), token);
  });
});

describe('matchTotpStep', () => {
  const secret = generateTotpSecret();
  const totp = new TOTP({ secret: Secret.fromBase32(secret) });
  const now = Date.now();
  const step = Math.floor(now / 30_000);

  it('accepts the codes of the current step and one step either side, and says which step', () => {
    for (const offset of [-1, 0, 1]) {
      const code = totp.generate({ timestamp: now + offset * 30_000 });
      assert.equal(matchTotpStep(secret, code, now), step + offset);
    }
  });

  it('rejects codes two steps away, malformed codes and a malformed secret', () => {
    for (const offset of [-2, 2]) {
      const code = totp.generate({ timestamp: now + offset * 30_000 });
      const nearby = [-1, 0, 1].map((o) => totp.generate({ timestamp: now + o * 30_000 }));
      if (!nearby.includes(code)) assert.equal(matchTotpStep(secret, code, now), undefined);
    }
    for (const code of ['', '12345', '1234567', 'abcdef', ' 123456'])
      assert.equal(matchTotpStep(secret, code, now), undefined);
    assert.equal(matchTotpStep('not base32 !', '123456', now), undefined);
  });
});
