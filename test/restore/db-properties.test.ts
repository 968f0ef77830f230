/**
 * Database-level fidelity (issue 11 item 6): the source database's owner, encoding, locale (ICU included),
 * comment, settings, role-in-database settings, connection limit and grants are captured in the manifest and
 * come back on a new database and across a swap; a WIN1252/C database restores (and so do the manifest's
 * restore-by-hand commands); what cannot be applied (a grant to a role the target lacks) is a warning naming
 * the statement, never a failure.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { execa } from 'execa';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import type { Cluster } from '../../src/pg/cluster.js';
import { childEnvFor, parseConnectionString } from '../../src/pg/target.js';
import { readDatabaseProperties, type DatabaseProperties } from '../../src/restore/db-properties.js';
import { migrate } from '../../src/sandbox/schema/migrate.js';
import { seed } from '../../src/sandbox/seed/seed.js';
import { generateTotpSecret } from '../../src/sandbox/seed/totp-secret.js';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';
import {
  ageKeyPair,
  databasesLike,
  eraOf,
  makeDump,
  privateTmp,
  tableChecksums,
  withPg,
  writeRegisterFile,
  type MadeDump,
} from './fixture.js';

const clusterReady = withCluster();
const suffix = () => Math.random().toString(36).slice(2, 8);

async function propertiesOf(cluster: Cluster, database: string): Promise<Omit<DatabaseProperties, 'name'>> {
  const props = await withPg(cluster.url('postgres'), (c) => readDatabaseProperties(c, database));
  assert.ok(props, `${database} exists`);
  const { name: _name, ...rest } = props;
  return {
    ...rest,
    settings: [...rest.settings].sort(),
    roleSettings: [...rest.roleSettings].sort((a, b) => a.role.localeCompare(b.role)),
    grants:
      rest.grants &&
      [...rest.grants].sort((a, b) => `${a.grantee}${a.privilege}`.localeCompare(`${b.grantee}${b.privilege}`)),
  };
}

describe('database-level properties round trip', () => {
  let cluster: Cluster;
  let home: ReturnType<typeof testHome>;
  let identity: Awaited<ReturnType<typeof ageKeyPair>>;
  let keyText: string;
  let icu: boolean;

  before(async () => {
    cluster = await clusterReady;
    home = testHome();
    identity = await ageKeyPair(home.dir);
    keyText = generateEncryptionKey();
    writeRegisterFile(home.env.BACKUP_DIR!, [
      { ...eraOf('era-a', keyText), start: '2026-01-01T00:00:00.000Z', end: null },
    ]);
    icu = await withPg(
      cluster.url('postgres'),
      async (c) =>
        Number(
          (await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_collation WHERE collprovider = 'i'`))
            .rows[0]?.n ?? 0,
        ) > 0,
    );
    await withPg(cluster.url('postgres'), async (c) => {
      await c.query(`DO $$ BEGIN CREATE ROLE props_owner NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
      await c.query(`DO $$ BEGIN CREATE ROLE props_reader NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    });
  });

  /** A database created with `create`, the sandbox schema (seeded unless `seeded` is false), then `configure`. */
  async function sourceDatabase(name: string, create: string, configure: string[], seeded = true): Promise<string> {
    await withPg(cluster.url('postgres'), (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE template0 ${create}`));
    await withPg(cluster.url(name), async (client) => {
      await migrate(client);
      if (seeded)
        await seed(client, {
          encryptionKey: parseEncryptionKey(keyText),
          drill: { password: 'props-drill-pw', totpSecret: generateTotpSecret() },
          size: { users: 30, auditEvents: 200 },
        });
    });
    await withPg(cluster.url('postgres'), async (c) => {
      for (const statement of configure) await c.query(statement.replaceAll('{db}', `"${name}"`));
    });
    return cluster.url(name);
  }

  function restoreEnv(url: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      ...home.env,
      TMPDIR: privateTmp(),
      DATABASE_URL: url,
      CONFIRM: 'yes',
      ENCRYPTION_KEY: keyText,
      BACKUP_IDENTITY_FILE: identity.identityFile,
      ...extra,
    };
  }

  const configured = [
    `COMMENT ON DATABASE {db} IS 'the identity provider''s database'`,
    `ALTER DATABASE {db} SET statement_timeout = '33s'`,
    `ALTER DATABASE {db} SET search_path = "$user", public`,
    `ALTER ROLE props_reader IN DATABASE {db} SET work_mem = '8MB'`,
    `ALTER DATABASE {db} CONNECTION LIMIT 25`,
    `REVOKE ALL ON DATABASE {db} FROM PUBLIC`,
    `GRANT CONNECT, TEMPORARY ON DATABASE {db} TO props_reader`,
  ];

  it('an ICU de-DE (or libc) database comes back identical on a new database and across a swap', async () => {
    const name = `props_src_${suffix()}`;
    const locale = icu
      ? `LOCALE_PROVIDER icu ICU_LOCALE 'de-DE' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`
      : `LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`;
    const url = await sourceDatabase(name, `ENCODING 'UTF8' ${locale} OWNER props_owner`, configured);
    const dump: MadeDump = await makeDump({
      url,
      backupDir: home.env.BACKUP_DIR!,
      recipient: identity.recipient,
      eras: [eraOf('era-a', keyText)],
    });
    const wanted = await propertiesOf(cluster, name);
    assert.equal(dump.manifest.source.properties?.owner, 'props_owner', 'the manifest records the properties');
    if (icu) assert.equal(wanted.localeProvider, 'i');
    const sourceContent = await tableChecksums(url);

    // Onto a new database: created from template0 with the source's properties.
    const fresh = `props_new_${suffix()}`;
    const created = await runCli(['restore', dump.path], restoreEnv(cluster.url(fresh)), { timeoutMs: 300_000 });
    assert.equal(created.exitCode, 0, `${created.stdout}\n${created.stderr}`);
    assert.deepEqual(await propertiesOf(cluster, fresh), wanted);
    assert.deepEqual(await tableChecksums(cluster.url(fresh)), sourceContent);

    // Across a swap into the existing database: the restored one has the same properties.
    await withPg(url, (c) =>
      c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'after-the-dump')`),
    );
    const swapped = await runCli(['restore', dump.path], restoreEnv(url), { timeoutMs: 300_000 });
    assert.equal(swapped.exitCode, 0, `${swapped.stdout}\n${swapped.stderr}`);
    assert.match(swapped.stdout, /database-level statement\(s\) applied/);
    assert.deepEqual(await propertiesOf(cluster, name), wanted);
    assert.deepEqual(await tableChecksums(url), sourceContent);
    assert.equal((await databasesLike(url, `${name}\\_\\_before\\_%`)).length, 1);

    // Without the manifest, onto a new database: the properties are read from the archive's own entries.
    const bare = join(home.dir, `bare-${suffix()}`);
    mkdirSync(bare);
    copyFileSync(dump.path, join(bare, dump.name));
    copyFileSync(join(home.env.BACKUP_DIR!, 'key-eras.json'), join(bare, 'key-eras.json'));
    const fromArchive = `props_bare_${suffix()}`;
    const noManifest = await runCli(
      ['restore', join(bare, dump.name)],
      restoreEnv(cluster.url(fromArchive), { BACKUP_DIR: bare }),
      { timeoutMs: 300_000 },
    );
    assert.equal(noManifest.exitCode, 0, `${noManifest.stdout}\n${noManifest.stderr}`);
    assert.match(noManifest.stdout, /database properties from the archive \(no manifest\)/);
    assert.deepEqual(await propertiesOf(cluster, fromArchive), wanted);
  });

  it('a grant and a role setting for a role the target lacks, and a locale it lacks, are warnings naming the statement; the restore succeeds', async () => {
    const name = `props_ghost_${suffix()}`;
    const url = await sourceDatabase(name, `ENCODING 'UTF8'`, configured);
    const dump = await makeDump({
      url,
      backupDir: home.env.BACKUP_DIR!,
      recipient: identity.recipient,
      eras: [eraOf('era-a', keyText)],
    });
    // The source server had a role this one does not: its grant and setting are in the manifest.
    const dir = join(home.dir, `ghost-${suffix()}`);
    mkdirSync(dir);
    copyFileSync(dump.path, join(dir, dump.name));
    copyFileSync(join(home.env.BACKUP_DIR!, 'key-eras.json'), join(dir, 'key-eras.json'));
    const manifest = JSON.parse(readFileSync(dump.manifestPath, 'utf8'));
    manifest.source.properties.grants.push({ grantee: 'ghost_reader', privilege: 'CONNECT', grantable: false });
    manifest.source.properties.roleSettings.push({ role: 'ghost_reader', settings: ['work_mem=4MB'] });
    // …and a locale this server does not have.
    manifest.source.properties.collate = 'xx_XX.UTF-8';
    manifest.source.properties.ctype = 'xx_XX.UTF-8';
    writeFileSync(join(dir, dump.manifestPath.split('/').pop()!), JSON.stringify(manifest));
    const fresh = `props_ghost_new_${suffix()}`;
    const result = await runCli(
      ['restore', join(dir, dump.name)],
      restoreEnv(cluster.url(fresh), { BACKUP_DIR: dir }),
      { timeoutMs: 300_000 },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.exitCode, 0, output);
    assert.match(
      output,
      new RegExp(
        `not applied: GRANT CONNECT ON DATABASE "${fresh}" TO "ghost_reader": role "ghost_reader" does not exist.*then run: psql -d postgres -c`,
      ),
    );
    assert.match(
      output,
      new RegExp(`not applied: ALTER ROLE "ghost_reader" IN DATABASE "${fresh}" SET "work_mem" = '4MB'`),
    );
    assert.match(
      output,
      /the source's locale cannot be used on this server \(invalid (LC_COLLATE )?locale name: "xx_XX.UTF-8"\): CREATE DATABASE .*LC_COLLATE 'xx_XX.UTF-8'.* failed/,
    );
    const props = await propertiesOf(cluster, fresh);
    assert.equal(props.comment, "the identity provider's database", 'the rest was applied');
    assert.ok(props.grants?.some((g) => g.grantee === 'props_reader' && g.privilege === 'CONNECT'));
  });

  it('a WIN1252/C database restores onto a new database, and so do the restore-by-hand commands', async () => {
    const name = `props_win_${suffix()}`;
    const url = await sourceDatabase(
      name,
      `ENCODING 'WIN1252' LC_COLLATE 'C' LC_CTYPE 'C'`,
      [`COMMENT ON DATABASE {db} IS 'Windows-1252'`],
      false,
    );
    await withPg(url, async (c) => {
      await c.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
      await c.query(`INSERT INTO notes VALUES (1, 'café, naïve, €5')`);
    });
    const dump = await makeDump({
      url,
      backupDir: home.env.BACKUP_DIR!,
      recipient: identity.recipient,
      eras: [eraOf('era-a', keyText)],
    });
    assert.equal(dump.manifest.source.encoding, 'WIN1252');
    const fresh = `props_win_new_${suffix()}`;
    const result = await runCli(['restore', dump.path], restoreEnv(cluster.url(fresh)), { timeoutMs: 300_000 });
    assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
    const props = await propertiesOf(cluster, fresh);
    assert.deepEqual(
      [props.encoding, props.collate, props.ctype, props.comment],
      ['WIN1252', 'C', 'C', 'Windows-1252'],
    );
    const body = await withPg(
      cluster.url(fresh),
      async (c) => (await c.query<{ body: string }>('SELECT body FROM notes')).rows[0]?.body,
    );
    assert.equal(body, 'café, naïve, €5');

    const work = tempDir('obexal-by-hand-win-');
    copyFileSync(dump.path, join(work, dump.name));
    const byHand = `props_win_hand_${suffix()}`;
    await execa('sh', ['-c', ['set -e', ...dump.manifest.restoreByHand].join('\n')], {
      cwd: work,
      extendEnv: false,
      env: {
        ...childEnvFor(parseConnectionString(cluster.url('postgres'))),
        PGDATABASE: 'postgres',
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        AGE_IDENTITY_FILE: identity.identityFile,
        RESTORE_DB: byHand,
      },
    });
    assert.deepEqual(readdirSync(work), [dump.name]);
    const handBody = await withPg(
      cluster.url(byHand),
      async (c) => (await c.query<{ body: string }>('SELECT body FROM notes')).rows[0]?.body,
    );
    assert.equal(handBody, 'café, naïve, €5');
  });
});
