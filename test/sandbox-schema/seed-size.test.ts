import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import {
  AUDIT_EVENTS_PER_USER,
  BYTES_PER_AUDIT_EVENT,
  BYTES_PER_USER,
  DEFAULT_SEED_SIZE,
  resolveSeedSize,
} from '../../src/sandbox/seed/size.js';
import { asciiSlug } from '../../src/sandbox/seed/sql-pick.js';
import { base32, generateTotpSecret } from '../../src/sandbox/seed/totp-secret.js';

describe('seed size knob', () => {
  it('uses explicit counts as given and derives the missing one', () => {
    assert.deepEqual(resolveSeedSize(), DEFAULT_SEED_SIZE);
    assert.deepEqual(resolveSeedSize({ users: 40, auditEvents: 7 }), { users: 40, auditEvents: 7 });
    assert.deepEqual(resolveSeedSize({ users: 40 }), { users: 40, auditEvents: 40 * AUDIT_EVENTS_PER_USER });
  });

  it('turns a target size into counts whose estimated bytes match the target', () => {
    const size = resolveSeedSize({ targetMb: 1024 });
    const estimate = size.users * BYTES_PER_USER + size.auditEvents * BYTES_PER_AUDIT_EVENT;
    assert.ok(estimate <= 1024 * 1024 * 1024 && estimate > 0.97 * 1024 * 1024 * 1024, String(estimate));
    const fixedUsers = resolveSeedSize({ targetMb: 100, users: 1000 });
    assert.equal(fixedUsers.users, 1000);
    assert.ok(fixedUsers.auditEvents > 100_000);
  });

  it('rejects counts that make no sense', () => {
    assert.throws(() => resolveSeedSize({ users: 0 }), UsageError);
    assert.throws(() => resolveSeedSize({ users: 1.5 }), UsageError);
    assert.throws(() => resolveSeedSize({ auditEvents: -1 }), UsageError);
    assert.throws(() => resolveSeedSize({ targetMb: 0 }), UsageError);
    assert.throws(() => resolveSeedSize({ targetMb: Number.NaN }), UsageError);
  });
});

describe('seed helpers', () => {
  it('encodes base32 as RFC 4648 does', () => {
    assert.equal(base32(Buffer.from('foobar')), 'MZXW6YTBOI');
    assert.equal(base32(Buffer.from('f')), 'MY');
    assert.match(generateTotpSecret(), /^[A-Z2-7]{32}$/);
  });

  it('makes ASCII e-mail parts from European names', () => {
    assert.equal(asciiSlug('Wiśniewski'), 'wisniewski');
    assert.equal(asciiSlug('de Jong'), 'dejong');
    assert.equal(asciiSlug("O'Brien"), 'obrien');
    assert.equal(asciiSlug('Bjørn'), 'bjorn');
    assert.equal(asciiSlug('Théo'), 'theo');
  });
});
