import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { redact } from '../../src/core/redact.js';
import { childEnvFor, parseConnectionString, redactedUrl, targetUrl } from '../../src/pg/target.js';

describe('parseConnectionString', () => {
  it('reads every part of a postgres:// URL and labels it host:port/database', () => {
    const target = parseConnectionString('postgres://obexal:s3cret@db.example.eu:6432/obexal?sslmode=require');
    assert.equal(target.host, 'db.example.eu');
    assert.equal(target.port, 6432);
    assert.equal(target.user, 'obexal');
    assert.equal(target.password, 's3cret');
    assert.equal(target.database, 'obexal');
    assert.equal(target.sslmode, 'require');
    assert.equal(target.label, 'db.example.eu:6432/obexal');
  });

  it('accepts postgresql:// and defaults the port to 5432', () => {
    const target = parseConnectionString('postgresql://app@10.0.0.5/identity');
    assert.equal(target.label, '10.0.0.5:5432/identity');
    assert.equal(target.password, undefined);
  });

  it('decodes URL-encoded passwords, users and database names', () => {
    const password = 'p@ss:w/rd?#%& é';
    const url = `postgres://${encodeURIComponent('ops user')}:${encodeURIComponent(password)}@h:5432/${encodeURIComponent('my db')}`;
    const target = parseConnectionString(url);
    assert.equal(target.password, password);
    assert.equal(target.user, 'ops user');
    assert.equal(target.database, 'my db');
    assert.equal(target.label, 'h:5432/my db');
    // parsing registered the password with the redaction layer, in its plain and encoded forms
    assert.equal(redact(`x ${password} y ${encodeURIComponent(password)}`), 'x [redacted] y [redacted]');
  });

  it('takes a unix socket folder from ?host= or from a percent-encoded host', () => {
    const fromQuery = parseConnectionString('postgres://u:pw1@/obexal?host=/var/run/postgresql&port=5433');
    assert.equal(fromQuery.host, '/var/run/postgresql');
    assert.equal(fromQuery.label, '/var/run/postgresql:5433/obexal');
    const encoded = parseConnectionString('postgres://u@%2Ftmp%2Fpg/obexal');
    assert.equal(encoded.host, '/tmp/pg');
    assert.equal(encoded.label, '/tmp/pg:5432/obexal');
  });

  it('strips the brackets of an IPv6 host and puts them back in the label', () => {
    const target = parseConnectionString('postgres://u@[::1]:5433/db');
    assert.equal(target.host, '::1');
    assert.equal(target.label, '[::1]:5433/db');
  });

  it('defaults the database to the user name, as libpq does', () => {
    assert.equal(parseConnectionString('postgres://alice@h').database, 'alice');
  });

  it('rejects what it cannot use, without echoing the string (it may hold a password)', () => {
    for (const bad of [
      'mysql://u:hunter22@h/db',
      'postgres://u:hunter22@h1,h2/db',
      'postgres://u:hunter22@h:99999/db',
      'not a url hunter22',
      'postgres://u:hunter22@h/db?sslmode=sometimes',
    ]) {
      assert.throws(
        () => parseConnectionString(bad),
        (error: unknown) =>
          error instanceof UsageError && !error.message.includes('hunter22') && error.hint !== undefined,
        bad.replace('hunter22', '…'),
      );
    }
  });
});

describe('childEnvFor', () => {
  const password = 'Tr0ub4dor&3-child';
  const target = parseConnectionString(
    `postgres://ops:${encodeURIComponent(password)}@127.0.0.1:5544/obexal?sslmode=verify-full&connect_timeout=7`,
  );

  it('carries the password only in PGPASSWORD', () => {
    const env = childEnvFor(target, {
      PATH: '/usr/bin',
      HOME: '/home/ops',
      AWS_SECRET_ACCESS_KEY: 'nope',
      DATABASE_URL: 'postgres://x:y@z/w',
    });
    assert.equal(env.PGPASSWORD, password);
    const holders = Object.entries(env).filter(
      ([, value]) => value.includes(password) || value.includes(encodeURIComponent(password)),
    );
    assert.deepEqual(
      holders.map(([name]) => name),
      ['PGPASSWORD'],
    );
  });

  it('is the libpq variables plus PATH, HOME and a UTF-8 C locale, nothing inherited besides', () => {
    const env = childEnvFor(target, {
      PATH: '/usr/bin',
      HOME: '/home/ops',
      AWS_SECRET_ACCESS_KEY: 'nope',
      DATABASE_URL: 'postgres://x:y@z/w',
    });
    assert.deepEqual(env, {
      PGHOST: '127.0.0.1',
      PGPORT: '5544',
      PGUSER: 'ops',
      PGDATABASE: 'obexal',
      PGPASSWORD: password,
      PGSSLMODE: 'verify-full',
      PGCONNECT_TIMEOUT: '7',
      PATH: '/usr/bin',
      HOME: '/home/ops',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
    });
  });

  it('has no PGPASSWORD when the URL has no password', () => {
    const env = childEnvFor(parseConnectionString('postgres://ops@h/db'), {});
    assert.equal('PGPASSWORD' in env, false);
    assert.equal('PGSSLMODE' in env, false);
  });
});

describe('redactedUrl and targetUrl', () => {
  it('shows the target without its password', () => {
    const target = parseConnectionString('postgres://ops:Sup3rSecretPw@db:5432/obexal');
    const shown = redactedUrl(target);
    assert.equal(shown, 'postgres://ops:[redacted]@db:5432/obexal');
    assert.ok(!shown.includes('Sup3rSecretPw'));
  });

  it('round-trips through targetUrl, socket hosts and encoded passwords included', () => {
    for (const url of [
      'postgres://u:a%40b%2Fc@[::1]:5433/d%20b?sslmode=require',
      'postgres://u:pw2@/obexal?host=/run/pg&port=6000',
    ]) {
      const target = parseConnectionString(url);
      assert.deepEqual(parseConnectionString(targetUrl(target)), target);
    }
  });
});
