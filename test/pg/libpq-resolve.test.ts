/**
 * How a connection string is resolved, as libpq resolves it: keyword/value strings, the precedence of the string
 * over the service over the environment, the password file's format and permissions, the variables that name a
 * target when DATABASE_URL is unset, and the child environment that carries the password (never argv).
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore, setPersistedSetting, withLibpqTarget } from '../../src/cli/environment.js';
import { UsageError } from '../../src/core/errors.js';
import { redact } from '../../src/core/redact.js';
import { sslFor } from '../../src/pg/client.js';
import { parseConninfo } from '../../src/pg/conninfo.js';
import { childEnvFor, conninfoFromLibpqEnv, parseConnectionString } from '../../src/pg/target.js';
import { tempDir } from '../helpers/temp.js';

const empty = { HOME: '/nonexistent-home' };

describe('keyword/value connection strings', () => {
  it('reads quoted values, escapes and spaces around =', () => {
    const info = parseConninfo(`host=db.example port = 6432 dbname='my db' user=o\\'brien password='it\\'s'`);
    assert.deepEqual(Object.fromEntries(info), {
      host: 'db.example',
      port: '6432',
      dbname: 'my db',
      user: "o'brien",
      password: "it's",
    });
  });

  it('gives the same target as the URL that says the same', () => {
    const fromKeywords = parseConnectionString(
      'host=db.example port=6432 dbname=obexal user=backup sslmode=require',
      empty,
    );
    const fromUrl = parseConnectionString('postgres://backup@db.example:6432/obexal?sslmode=require', empty);
    assert.deepEqual(fromKeywords, fromUrl);
    assert.equal(fromKeywords.label, 'db.example:6432/obexal');
  });

  it('refuses a keyword it does not honour and an unclosed quote, without echoing the string', () => {
    for (const bad of ['host=h password=hunter22 bogus=1', "host=h password='hunter22", 'hunter22 only']) {
      assert.throws(
        () => parseConnectionString(bad, empty),
        (e: unknown) => e instanceof UsageError && !e.message.includes('hunter22'),
      );
    }
  });

  it('redacts password= in keyword strings', () => {
    assert.equal(redact('using host=h password=s3cr3t-Kw dbname=d'), 'using host=h password=[redacted] dbname=d');
  });
});

describe('the string, then the service, then the environment', () => {
  it('PG* variables fill only what the string leaves out', () => {
    const env = {
      ...empty,
      PGHOST: 'env-host',
      PGPORT: '7000',
      PGUSER: 'env-user',
      PGDATABASE: 'env-db',
      PGPASSWORD: 'env-pass-1',
      PGSSLMODE: 'verify-full',
    };
    const target = parseConnectionString('postgres://url-user@url-host/url-db', env);
    assert.equal(target.label, 'url-host:7000/url-db');
    assert.equal(target.user, 'url-user');
    assert.equal(target.password, 'env-pass-1');
    assert.equal(target.passwordSource, 'PGPASSWORD');
    assert.equal(target.sslmode, 'verify-full');
  });

  it('a service beats the environment, the string beats the service', () => {
    const dir = tempDir('obexal-libpq-service-');
    const file = join(dir, 'services.conf');
    writeFileSync(file, '# comment\n[main]\nhost = svc-host\nport=6000\ndbname=svc-db\n');
    const env = { ...empty, PGSERVICEFILE: file, PGHOST: 'env-host', PGPORT: '7000' };
    assert.equal(parseConnectionString('service=main', env).label, 'svc-host:6000/svc-db');
    assert.equal(parseConnectionString('service=main port=5999', env).label, 'svc-host:5999/svc-db');
    assert.equal(parseConnectionString('', { ...env, PGSERVICE: 'main' }).service, 'main');
  });

  it('a service that is nowhere is a usage error naming the files searched', () => {
    const env = { ...empty, PGSERVICEFILE: '/nonexistent/services.conf', PGSYSCONFDIR: '/nonexistent-etc' };
    assert.throws(
      () => parseConnectionString('service=gone', env),
      (e: unknown) =>
        e instanceof UsageError &&
        /\/nonexistent\/services\.conf or \/nonexistent-etc\/pg_service\.conf/.test(e.message),
    );
  });
});

describe('the password file', () => {
  function passfile(text: string, mode = 0o600): string {
    const file = join(tempDir('obexal-libpq-pgpass-'), 'pgpass');
    writeFileSync(file, text);
    chmodSync(file, mode);
    return file;
  }

  it('takes the first matching line, with * and escaped colons', () => {
    const file = passfile('other:5432:*:*:no\ndb.example:6432:*:backup:pa\\:ss\\\\1\n*:*:*:*:fallback\n');
    const target = parseConnectionString('postgres://backup@db.example:6432/obexal', { ...empty, PGPASSFILE: file });
    assert.equal(target.password, 'pa:ss\\1');
    assert.equal(target.passwordSource, `the password file ${file}`);
  });

  it('is read only when no other route gave a password', () => {
    const file = passfile('*:*:*:*:from-file\n');
    assert.equal(
      parseConnectionString('postgres://u@h/d', { ...empty, PGPASSFILE: file, PGPASSWORD: 'from-env' }).password,
      'from-env',
    );
  });

  it('is ignored when group or others may read it, and the target says why', () => {
    const file = passfile('*:*:*:*:from-file\n', 0o640);
    const target = parseConnectionString('postgres://u@h/d', { ...empty, PGPASSFILE: file });
    assert.equal(target.password, undefined);
    assert.match(target.passwordProblem ?? '', /chmod 600/);
  });

  it('~/.pgpass under HOME by default', () => {
    const home = tempDir('obexal-libpq-home-');
    writeFileSync(join(home, '.pgpass'), 'h:5432:d:u:home-pass\n', { mode: 0o600 });
    assert.equal(parseConnectionString('postgres://u@h/d', { HOME: home }).password, 'home-pass');
  });
});

describe('DATABASE_URL unset', () => {
  it('PGHOST & co. name the target, written without its password', () => {
    const env = { ...empty, PGHOST: 'db.example', PGUSER: 'backup', PGDATABASE: 'obexal', PGPASSWORD: 'not-in-it' };
    const conninfo = conninfoFromLibpqEnv(env);
    assert.equal(conninfo, 'host=db.example port=5432 dbname=obexal user=backup');
    assert.equal(withLibpqTarget(env, {}).DATABASE_URL, conninfo);
  });

  it('nothing when no libpq variable is set, and never over a DATABASE_URL of the environment or the file', () => {
    assert.equal(conninfoFromLibpqEnv(empty), undefined);
    assert.equal(
      withLibpqTarget({ PGHOST: 'h', DATABASE_URL: 'postgres://x@y/z' }, {}).DATABASE_URL,
      'postgres://x@y/z',
    );
    assert.equal(withLibpqTarget({ PGHOST: 'h' }, { DATABASE_URL: 'postgres://x@y/z' }).DATABASE_URL, undefined);
  });
});

describe('the child environment', () => {
  it('carries the resolved password in PGPASSWORD and nothing of the service or the password file', () => {
    const env = childEnvFor(
      parseConnectionString('host=h dbname=d user=u', { ...empty, PGPASSWORD: 'child-pass', PGSERVICEFILE: '/x' }),
      { PATH: '/bin', PGSERVICE: 'x' },
    );
    assert.equal(env.PGPASSWORD, 'child-pass');
    assert.equal(env.PGSERVICE, undefined);
    assert.equal(env.PGSERVICEFILE, undefined);
  });
});

describe('config set DATABASE_URL', () => {
  it('refuses a password in a keyword string or a URL query as it does in a URL, and keeps one without', () => {
    const store = openStore(join(tempDir('obexal-libpq-config-'), 'config'));
    for (const value of [
      'host=h dbname=d password=kw-secret',
      'postgres://u@h/d?password=q-secret',
      'postgres://u:u-secret@h/d',
    ]) {
      assert.throws(
        () => setPersistedSetting(store, 'DATABASE_URL', value),
        (e: unknown) => e instanceof UsageError && /holds a password/.test(e.message),
      );
    }
    setPersistedSetting(store, 'DATABASE_URL', 'host=h dbname=d user=u');
    assert.equal(store.get('DATABASE_URL'), 'host=h dbname=d user=u');
  });
});

describe('PGSSLMODE', () => {
  it('applies to TCP connections of the client and the children, never to a unix socket (as libpq)', () => {
    const env = { ...empty, PGSSLMODE: 'require' };
    const tcp = parseConnectionString('host=db.example dbname=d', env);
    assert.deepEqual(sslFor(tcp), { rejectUnauthorized: false });
    assert.equal(childEnvFor(tcp, {}).PGSSLMODE, 'require');
    assert.equal(sslFor(parseConnectionString('host=/var/run/postgresql dbname=d', env)), false);
  });
});
