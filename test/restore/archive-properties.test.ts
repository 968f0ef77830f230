/** The database's own properties read from `pg_restore --create` output, when a dump's manifest is gone. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDatabaseSql, renameIn } from '../../src/restore/archive-properties.js';

const SQL = `--
-- PostgreSQL database dump
--
\\restrict J9NYBORGQpIf0KoUfDJkkx8sJOOMh11dh423AikM86xt9D1XzodWzHi1f3US1mX
SET statement_timeout = 0;
CREATE DATABASE probe_db WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = icu LOCALE = 'C.UTF-8' ICU_LOCALE = 'de-DE';
ALTER DATABASE probe_db OWNER TO "App Owner";
\\unrestrict J9NYBORGQpIf0KoUfDJkkx8sJOOMh11dh423AikM86xt9D1XzodWzHi1f3US1mX
\\connect probe_db
COMMENT ON DATABASE probe_db IS 'it''s the IdP';
ALTER DATABASE probe_db CONNECTION LIMIT = 7;
ALTER DATABASE probe_db SET statement_timeout TO '33s';
ALTER ROLE reporting IN DATABASE probe_db SET work_mem TO '8MB';
REVOKE CONNECT,TEMPORARY ON DATABASE probe_db FROM PUBLIC;
GRANT CONNECT ON DATABASE probe_db TO reporting;
`;

describe('database properties from the archive', () => {
  it('reads the CREATE DATABASE options and keeps the statements, renamed', () => {
    const parsed = parseDatabaseSql(SQL);
    assert.ok(parsed);
    assert.deepEqual(parsed.spec, {
      encoding: 'UTF8',
      collate: 'C.UTF-8',
      ctype: 'C.UTF-8',
      localeProvider: 'i',
      providerLocale: 'de-DE',
      owner: 'App Owner',
    });
    assert.deepEqual(renameIn(parsed, 'obexal'), [
      `COMMENT ON DATABASE "obexal" IS 'it''s the IdP'`,
      'ALTER DATABASE "obexal" CONNECTION LIMIT = 7',
      `ALTER DATABASE "obexal" SET statement_timeout TO '33s'`,
      `ALTER ROLE reporting IN DATABASE "obexal" SET work_mem TO '8MB'`,
      'REVOKE CONNECT,TEMPORARY ON DATABASE "obexal" FROM PUBLIC',
      'GRANT CONNECT ON DATABASE "obexal" TO reporting',
    ]);
  });

  it('a WIN1252 database with LC_COLLATE and LC_CTYPE', () => {
    const parsed = parseDatabaseSql(
      `CREATE DATABASE "odd.db" WITH TEMPLATE = template0 ENCODING = 'WIN1252' LOCALE_PROVIDER = libc LC_COLLATE = 'C' LC_CTYPE = 'C';\n`,
    );
    assert.deepEqual(parsed?.spec, {
      encoding: 'WIN1252',
      collate: 'C',
      ctype: 'C',
      localeProvider: 'c',
      providerLocale: null,
      owner: undefined,
    });
    assert.equal(parsed?.name, '"odd.db"');
  });
});
