/** The pure parts of the restore: archive lists, COPY text, database settings, names, modes, jobs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArchiveList, versionNum } from '../../src/restore/archive.js';
import { parseCopyHeader, parseCopyRow, unescapeCopyField } from '../../src/restore/copy-text.js';
import { createDatabaseSql, reapplyStatements, setClause, splitListSetting } from '../../src/restore/db-properties.js';
import { decideMode } from '../../src/restore/inspect.js';
import { swapName } from '../../src/restore/names.js';
import { chooseJobs, PARALLEL_THRESHOLD_BYTES } from '../../src/restore/pg-restore-run.js';

const LIST = `;
; Archive created at 2026-11-24 19:04:46 UTC
;     dbname: obexal
;     TOC Entries: 9
;     Dumped from database version: 15.18 (Debian 15.18-0+deb12u1)
;     Dumped by pg_dump version: 15.18 (Debian 15.18-0+deb12u1)
;
; Selected TOC Entries:
;
2; 3079 16385 EXTENSION - pgcrypto 
3479; 0 0 COMMENT - EXTENSION pgcrypto 
226; 1259 16527 TABLE public audit_log obexal
3480; 0 0 SEQUENCE OWNED BY public audit_log_id_seq obexal
3472; 0 16527 TABLE DATA public audit_log obexal
3467; 0 16473 TABLE DATA public mfa_totp obexal
3481; 0 0 SEQUENCE SET public audit_log_id_seq obexal
3316; 2606 16480 FK CONSTRAINT public mfa_totp mfa_totp_user_id_fkey obexal
3320; 2620 16539 TRIGGER public audit_log audit_log_reject_update_delete obexal
`;

describe('pg_restore --list', () => {
  it('reads the header, the data entries, extensions and triggers', () => {
    const info = parseArchiveList(LIST);
    assert.equal(info.createdAt, '2026-11-24T19:04:46.000Z');
    assert.equal(info.database, 'obexal');
    assert.equal(info.dumpedFromNum, 150018);
    assert.equal(info.entries, 9);
    assert.deepEqual(info.tableData, ['public.audit_log', 'public.mfa_totp']);
    assert.deepEqual(info.extensions, ['pgcrypto']);
    assert.deepEqual(info.triggers, ['audit_log audit_log_reject_update_delete']);
    assert.equal(info.toc.find((e) => e.id === 3316)?.desc, 'FK CONSTRAINT');
  });

  it('turns versions into server_version_num', () => {
    assert.equal(versionNum('16.4'), 160004);
    assert.equal(versionNum('9.6.24'), 90624);
    assert.equal(versionNum(null), null);
  });
});

describe('COPY text', () => {
  it('parses headers with quoted names', () => {
    assert.deepEqual(parseCopyHeader('COPY public.mfa_totp (user_id, secret_enc, confirmed_at) FROM stdin;'), {
      schema: 'public',
      table: 'mfa_totp',
      columns: ['user_id', 'secret_enc', 'confirmed_at'],
    });
    assert.deepEqual(parseCopyHeader('COPY "My Schema"."odd, table" ("a""b", c) FROM stdin;'), {
      schema: 'My Schema',
      table: 'odd, table',
      columns: ['a"b', 'c'],
    });
    assert.equal(parseCopyHeader('SET search_path = public;'), undefined);
  });

  it('decodes escapes and NULL', () => {
    assert.equal(unescapeCopyField('\\N'), null);
    assert.equal(unescapeCopyField('a\\tb\\\\c\\nd'), 'a\tb\\c\nd');
    assert.equal(unescapeCopyField('\\101\\x42'), 'AB');
    assert.deepEqual(parseCopyRow('id-1\tabc+/=\t\\N'), ['id-1', 'abc+/=', null]);
  });
});

describe('database properties', () => {
  it('splits and quotes list settings as pg_dumpall does', () => {
    assert.deepEqual(splitListSetting('"$user", public'), ['$user', 'public']);
    assert.deepEqual(splitListSetting('"a,b", "c""d"'), ['a,b', 'c"d']);
    assert.equal(setClause('search_path="$user", public'), `SET "search_path" = '$user', 'public'`);
    assert.equal(setClause('statement_timeout=5min'), `SET "statement_timeout" = '5min'`);
    assert.equal(setClause("app.note=it's"), `SET "app"."note" = 'it''s'`);
  });

  it('builds CREATE DATABASE and the statements that reapply settings and grants', () => {
    assert.equal(
      createDatabaseSql('obexal__restore_x', {
        owner: 'app',
        encoding: 'UTF8',
        collate: 'C.UTF-8',
        ctype: 'C.UTF-8',
        localeProvider: 'c',
      }),
      `CREATE DATABASE "obexal__restore_x" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' LOCALE_PROVIDER libc OWNER "app"`,
    );
    const statements = reapplyStatements('obexal__restore_x', {
      name: 'obexal',
      owner: 'app',
      encoding: 'UTF8',
      collate: 'C',
      ctype: 'C',
      localeProvider: 'c',
      providerLocale: null,
      connLimit: 50,
      comment: 'the IdP',
      settings: ['statement_timeout=30s'],
      roleSettings: [{ role: 'reporting', settings: ['default_transaction_read_only=on'] }],
      grants: [
        { grantee: 'app', privilege: 'CONNECT', grantable: false },
        { grantee: null, privilege: 'TEMPORARY', grantable: false },
      ],
    });
    assert.deepEqual(statements, [
      'ALTER DATABASE "obexal__restore_x" CONNECTION LIMIT 50',
      `ALTER DATABASE "obexal__restore_x" SET "statement_timeout" = '30s'`,
      `ALTER ROLE "reporting" IN DATABASE "obexal__restore_x" SET "default_transaction_read_only" = 'on'`,
      'REVOKE ALL ON DATABASE "obexal__restore_x" FROM PUBLIC',
      'REVOKE ALL ON DATABASE "obexal__restore_x" FROM "app"',
      'GRANT CONNECT ON DATABASE "obexal__restore_x" TO "app"',
      'GRANT TEMPORARY ON DATABASE "obexal__restore_x" TO PUBLIC',
      `COMMENT ON DATABASE "obexal__restore_x" IS 'the IdP'`,
    ]);
  });
});

describe('swap names, modes and jobs', () => {
  it('keeps names within 63 bytes', () => {
    assert.equal(swapName('obexal', 'before', '20261124T183501Z-a1b2c3'), 'obexal__before_20261124T183501Z-a1b2c3');
    const long = swapName('x'.repeat(60), 'restore', '20261124T183501Z-a1b2c3');
    assert.equal(Buffer.byteLength(long), 63);
    assert.ok(long.endsWith('__restore_20261124T183501Z-a1b2c3'));
  });

  it('swaps when the role may create and rename, else restores in place', () => {
    assert.equal(
      decideMode('auto', { superuser: true, createdb: false, ownsTarget: false }, true, 'h:5432/d').mode,
      'swap',
    );
    assert.equal(
      decideMode('auto', { superuser: false, createdb: true, ownsTarget: true }, true, 'h:5432/d').mode,
      'swap',
    );
    assert.equal(
      decideMode('auto', { superuser: false, createdb: true, ownsTarget: false }, true, 'h:5432/d').mode,
      'in-place',
    );
    assert.equal(
      decideMode('auto', { superuser: false, createdb: false, ownsTarget: true }, true, 'h:5432/d').mode,
      'in-place',
    );
    assert.equal(
      decideMode('auto', { superuser: false, createdb: true, ownsTarget: false }, false, 'h:5432/d').mode,
      'swap',
    );
    assert.throws(
      () => decideMode('auto', { superuser: false, createdb: false, ownsTarget: false }, false, 'h:5432/d'),
      /may not create databases/,
    );
    assert.throws(
      () => decideMode('swap', { superuser: false, createdb: false, ownsTarget: true }, true, 'h:5432/d'),
      /swap mode needs/,
    );
  });

  it('uses one pg_restore job below the threshold and in one transaction', () => {
    assert.equal(chooseJobs('auto', PARALLEL_THRESHOLD_BYTES - 1, false), 1);
    assert.ok(chooseJobs('auto', PARALLEL_THRESHOLD_BYTES, false) >= 1);
    assert.equal(chooseJobs(4, 10, true), 1);
    assert.equal(chooseJobs(3, 10, false), 3);
  });
});
