/** Table keys (two parts, never a dotted string) and the schema profile's settings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTableKey, parseTableSetting, qualifiedName, tableKey, tableKeyCandidates } from '../../src/pg/ident.js';
import { parseEncryptedColumn, resolveProfile } from '../../src/profile/config.js';

const settings = (values: Record<string, string>) => ({ get: (name: string) => values[name] });

describe('table keys', () => {
  const tables = [
    { schema: 'public', name: 'users' },
    { schema: 'public', name: 'odd.name' },
    { schema: 'my.schema', name: 't' },
    { schema: 'public', name: 'sales.orders' },
    { schema: 'sales', name: 'orders' },
    { schema: 'public', name: 'Ünïcödé "Täble"' },
    { schema: 'Weird"Schema', name: 'a.b.c' },
    { schema: 'public', name: 'Users' },
  ];

  it('gives every table its own key and reads each key back to the same schema and name', () => {
    const keys = tables.map(tableKey);
    assert.equal(new Set(keys).size, tables.length, keys.join(' | '));
    for (const table of tables) assert.deepEqual(parseTableKey(tableKey(table)), table);
    assert.deepEqual(keys.slice(0, 5), ['users', '"odd.name"', '"my.schema".t', '"sales.orders"', 'sales.orders']);
  });

  it('quotes each part for SQL', () => {
    assert.equal(qualifiedName({ schema: 'my.schema', name: 'a"b' }), '"my.schema"."a""b"');
  });

  it('reads the keys of old manifests, and lists the other reading of a dotted one', () => {
    assert.deepEqual(parseTableKey('users'), { schema: 'public', name: 'users' });
    assert.deepEqual(parseTableKey('sales.orders'), { schema: 'sales', name: 'orders' });
    assert.deepEqual(tableKeyCandidates('odd.name'), [
      { schema: 'odd', name: 'name' },
      { schema: 'public', name: 'odd.name' },
    ]);
    assert.deepEqual(tableKeyCandidates('"odd.name"'), [{ schema: 'public', name: 'odd.name' }]);
  });

  it('reads table settings with quoted parts, and refuses malformed ones', () => {
    assert.deepEqual(parseTableSetting('app.audit_events'), { schema: 'app', name: 'audit_events' });
    assert.deepEqual(parseTableSetting('"my.schema"."Audit"'), { schema: 'my.schema', name: 'Audit' });
    assert.equal(parseTableSetting('a.b.c'), undefined);
    assert.equal(parseTableSetting('"open'), undefined);
  });
});

describe('schema profile settings', () => {
  it('defaults to the Obexal schema', () => {
    const profile = resolveProfile();
    assert.deepEqual(profile.audit.table, { schema: 'public', name: 'audit_log' });
    assert.equal(profile.audit.action, 'action');
    assert.deepEqual(profile.migrations.table, { schema: 'public', name: 'schema_migrations' });
    assert.equal(profile.encryptedColumns.length, 3);
  });

  it('takes real table names from PROFILE_* settings, and none turns a check off with the reason', () => {
    const profile = resolveProfile(
      settings({
        PROFILE_AUDIT_TABLE: 'app.events',
        PROFILE_AUDIT_ACTION_COLUMN: 'kind',
        PROFILE_MIGRATIONS_TABLE: 'none',
        PROFILE_ENCRYPTED_COLUMNS: 'app.totp.seed_enc:user_id, "Keys".pem:kid',
      }),
    );
    assert.deepEqual(profile.audit.table, { schema: 'app', name: 'events' });
    assert.equal(profile.audit.action, 'kind');
    assert.equal(profile.migrations.table, undefined);
    assert.match('why' in profile.migrations ? profile.migrations.why : '', /PROFILE_MIGRATIONS_TABLE=none/);
    assert.deepEqual(profile.encryptedColumns, [
      { table: 'app.totp', key: 'user_id', column: 'seed_enc' },
      { table: '"Keys"', key: 'kid', column: 'pem' },
    ]);
  });

  it('says why a malformed setting is not used instead of failing', () => {
    const profile = resolveProfile(settings({ PROFILE_AUDIT_TABLE: 'a.b.c', PROFILE_ENCRYPTED_COLUMNS: 'nocolon' }));
    assert.equal(profile.audit.table, undefined);
    assert.match('why' in profile.audit ? profile.audit.why : '', /is not a table name/);
    assert.match(profile.encryptedColumnsProblem ?? '', /"nocolon" is not table\.column:key/);
    assert.equal(parseEncryptedColumn('t:k'), undefined);
    assert.equal(resolveProfile(settings({ PROFILE_ENCRYPTED_COLUMNS: 'none' })).encryptedColumns.length, 0);
  });
});

describe('production code and the sandbox', () => {
  it('no production module imports src/sandbox/ (the practice command aside), so the profile owns the defaults', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const { join, relative, resolve } = await import('node:path');
    const root = resolve(import.meta.dirname, '..', '..', 'src');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.tsx?$/.test(name)) files.push(path);
      }
    };
    walk(root);
    const offenders = files
      .map((path) => relative(root, path))
      .filter((path) => !path.startsWith('sandbox/') && path !== 'cli/commands/practice.ts')
      .filter((path) =>
        /from '[^']*\/sandbox\/|import\('[^']*\/sandbox\//.test(readFileSync(join(root, path), 'utf8')),
      );
    assert.deepEqual(offenders, []);
  });
});
