/**
 * Issue 11's whole promise on one database nobody here wrote: an ICU database owned by a non-superuser, with a
 * comment, settings, role settings and grants. The documented cron line takes it on a fresh installation (no
 * key-era register, no ENCRYPTION_KEY, the password only in PGPASSWORD); the dump then comes back onto a new
 * database (every database-level property identical), into the existing one (swap: it keeps its own), and in place
 * as its non-superuser owner: exit 0 each time, the same schema and the same content.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Cluster } from '../../src/pg/cluster.js';
import { ageIdentity } from '../backup/helpers.js';
import { runCli, testHome, type CliResult } from '../helpers/cli.js';
import {
  contentHashes,
  describeDatabase,
  foreignDatabase,
  schemaDump,
  type ForeignDatabase,
} from '../helpers/foreign-db.js';
import { withCluster, withDatabaseUrl } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';

const clusterReady = withCluster();

const text = (result: CliResult): string => `${result.stdout}\n${result.stderr}`;

/** The URL without its password: the password reaches the tool through PGPASSWORD only. */
function withoutPassword(url: string): { url: string; password: string } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { url: parsed.toString(), password };
}

describe(
  'a foreign database with database-level properties, from the cron line to three restores',
  { timeout: 900_000 },
  () => {
    let cluster: Cluster;
    let source: ForeignDatabase;
    let home: ReturnType<typeof testHome>;
    let identityFile: string;
    let recipient: string;
    let dumpPath: string;
    let schema: string;
    let hashes: Record<string, string>;

    before(async () => {
      cluster = await clusterReady;
      source = await foreignDatabase(cluster, {
        prefix: 'fidelity',
        rows: 50,
        owner: { role: 'fidelity_owner', password: 'fidelity-owner-pw' },
        icuLocale: 'de-DE',
        comment: 'the shop database',
        settings: { work_mem: '8MB' },
        roleSettings: [{ role: 'fidelity_reader', name: 'statement_timeout', value: '5s' }],
        grants: [{ role: 'fidelity_reader', privilege: 'CONNECT' }],
      });
      schema = await schemaDump(source.url);
      hashes = await contentHashes(source.url);
      home = testHome('obexal-fidelity-');
      const identity = ageIdentity(tempDir('obexal-fidelity-keys-'));
      identityFile = identity.file;
      recipient = identity.recipient;
    });

    it('the cron line on a fresh installation (PGPASSWORD, no register, no key) exits 0 and leaves an encrypted dump', async () => {
      const { url, password } = withoutPassword(source.url);
      const backup = await runCli(['backup'], {
        ...home.env,
        DATABASE_URL: url,
        PGPASSWORD: password,
        BACKUP_RECIPIENTS: recipient,
      });
      assert.equal(backup.exitCode, 0, text(backup));
      const names = readdirSync(home.env.BACKUP_DIR as string);
      const dump = names.find((name) => name.endsWith('.dump.zst.age'));
      assert.ok(dump, names.join(', '));
      dumpPath = join(home.env.BACKUP_DIR as string, dump);
      const manifest = JSON.parse(readFileSync(dumpPath.replace('.dump.zst.age', '.manifest.json'), 'utf8')) as {
        keyErasUnregistered?: boolean;
      };
      assert.equal(manifest.keyErasUnregistered, true, 'the era is recorded as unregistered, not refused');
      assert.ok(!text(backup).includes(password), 'the password was printed');
    });

    const restore = (databaseUrl: string, extra: Record<string, string> = {}): Promise<CliResult> => {
      const { url, password } = withoutPassword(databaseUrl);
      const env = {
        ...home.env,
        DATABASE_URL: url,
        PGPASSWORD: password,
        CONFIRM: 'yes',
        BACKUP_IDENTITY_FILE: identityFile,
      };
      return runCli(['restore', dumpPath], { ...env, ...extra }, { timeoutMs: 300_000 });
    };

    it('onto a new database: exit 0, the same schema and content, every database-level property identical', async () => {
      const wanted = await describeDatabase(cluster.url('postgres'), source.name);
      const name = `fidelity_new_${Math.random().toString(36).slice(2, 8)}`;
      const result = await restore(cluster.url(name));
      assert.equal(result.exitCode, 0, text(result));
      assert.deepEqual(await describeDatabase(cluster.url('postgres'), name), wanted);
      assert.equal(await schemaDump(cluster.url(name)), schema);
      assert.deepEqual(await contentHashes(cluster.url(name)), hashes);
      assert.match(text(result), /not checked: /, 'the run names the Obexal checks it skipped');
    });

    it('into the existing database (swap): exit 0, the content back, the database keeps its own properties', async () => {
      const before = await describeDatabase(cluster.url('postgres'), source.name);
      await withDatabaseUrl(source.url, (client) => client.query(`DELETE FROM sales.orders WHERE id > 3`));
      const result = await restore(source.url);
      assert.equal(result.exitCode, 0, text(result));
      assert.deepEqual(await describeDatabase(cluster.url('postgres'), source.name), before);
      assert.equal(await schemaDump(source.url), schema);
      assert.deepEqual(await contentHashes(source.url), hashes);
    });

    it('in place as its non-superuser owner: exit 0, the same schema and content', async () => {
      assert.ok(source.ownerUrl);
      await withDatabaseUrl(source.url, (client) => client.query(`DELETE FROM documents`));
      const refused = await restore(source.ownerUrl);
      assert.equal(refused.exitCode, 1, text(refused));
      assert.match(
        text(refused),
        /safety dump is encrypted and no age recipient is configured/,
        'found before any change',
      );
      assert.doesNotMatch(text(refused), /> apply: /, 'nothing destructive started');
      const result = await restore(source.ownerUrl, { BACKUP_RECIPIENTS: recipient });
      assert.equal(result.exitCode, 0, text(result));
      assert.match(text(result), /in-place/);
      assert.equal(await schemaDump(source.url), schema);
      assert.deepEqual(await contentHashes(source.url), hashes);
    });
  },
);
