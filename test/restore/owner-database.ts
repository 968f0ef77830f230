/**
 * A seeded Obexal database owned by a role that may not create databases (so a restore runs in place), with its key
 * era registered and a dump of it taken a minute ago; one audit_log row is written after the dump, so a restore
 * has something to remove.
 */
import pg from 'pg';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { createDatabase } from '../../src/pg/databases.js';
import { migrate } from '../../src/sandbox/schema/migrate.js';
import { seed } from '../../src/sandbox/seed/seed.js';
import { generateTotpSecret } from '../../src/sandbox/seed/totp-secret.js';
import { testHome } from '../helpers/cli.js';
import type { withCluster } from '../helpers/pg.js';
import { ageKeyPair, eraOf, makeDump, withPg, writeRegisterFile, type AgeKeyPair, type MadeDump } from './fixture.js';

export interface OwnerDatabase {
  ownerUrl: string;
  database: string;
  keyText: string;
  home: ReturnType<typeof testHome>;
  identity: AgeKeyPair;
  dump: MadeDump;
}

export interface OwnerDatabaseOptions {
  /** The owning role; its password is `<role>-pw` (a test value, not a secret of anyone). */
  role: string;
  /** The start of the database's name. */
  prefix: string;
  size: { users: number; auditEvents: number };
}

export async function ownerDatabase(
  cluster: Awaited<ReturnType<typeof withCluster>>,
  options: OwnerDatabaseOptions,
): Promise<OwnerDatabase> {
  const { role, prefix } = options;
  await withPg(cluster.url('postgres'), (c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${role}-pw' NOCREATEDB`));
  const database = `${prefix}_${Math.random().toString(36).slice(2, 8)}`;
  const url = new URL(await createDatabase(cluster, database, { owner: role }));
  url.username = role;
  url.password = `${role}-pw`;
  const ownerUrl = url.toString();
  const keyText = generateEncryptionKey();
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await migrate(client);
    const drill = { password: `${prefix}-drill-pw`, totpSecret: generateTotpSecret() };
    await seed(client, { encryptionKey: parseEncryptionKey(keyText), drill, size: options.size });
  } finally {
    await client.end();
  }
  const home = testHome();
  const identity = await ageKeyPair(home.dir);
  const era = eraOf('era-a', keyText);
  writeRegisterFile(home.env.BACKUP_DIR!, [{ ...era, start: '2026-01-01T00:00:00.000Z', end: null }]);
  const dump = await makeDump({
    url: ownerUrl,
    backupDir: home.env.BACKUP_DIR!,
    recipient: identity.recipient,
    eras: [era],
    at: new Date(Date.now() - 60_000),
  });
  await withPg(ownerUrl, (c) =>
    c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'after-the-dump')`),
  );
  return { ownerUrl, database, keyText, home, identity, dump };
}
