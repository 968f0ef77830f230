/**
 * A migrated, seeded sandbox database on a test cluster (test/helpers/pg.ts): its URL, the ENCRYPTION_KEY its
 * secrets are encrypted under and that key's era (label and fingerprint), and the seeded row counts. Secrets
 * (the key, the drill password and TOTP seed) are returned so that tests can scan outputs for them.
 */
import { keyFingerprint } from '../../src/keys/fingerprint.js';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { withClient } from '../../src/pg/client.js';
import type { Cluster } from '../../src/pg/cluster.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { migrate } from '../../src/sandbox/schema/migrate.js';
import { seed } from '../../src/sandbox/seed/seed.js';
import type { SeedSize } from '../../src/sandbox/seed/size.js';
import { generateTotpSecret } from '../../src/sandbox/seed/totp-secret.js';
import { freshDatabase } from './pg.js';

export interface SandboxDatabase {
  url: string;
  database: string;
  /** base64 of 32 bytes, as ENCRYPTION_KEY holds it. */
  encryptionKey: string;
  era: { label: string; fingerprint: string };
  drill: { email: string; password: string; totpSecret: string };
  rowCounts: Record<string, number>;
}

export interface SandboxDatabaseOptions {
  prefix?: string;
  size?: SeedSize;
  /** Label of the key's era (default era-sandbox-1). */
  eraLabel?: string;
  /** Use this key instead of a fresh one. */
  encryptionKey?: string;
}

export async function sandboxDatabase(
  cluster: Cluster,
  options: SandboxDatabaseOptions = {},
): Promise<SandboxDatabase> {
  const url = await freshDatabase(cluster, options.prefix ?? 'sandbox');
  const encryptionKey = options.encryptionKey ?? generateEncryptionKey();
  const key = parseEncryptionKey(encryptionKey);
  const drill = { password: `drill-${Math.random().toString(36).slice(2)}-Pw!`, totpSecret: generateTotpSecret() };
  const target = parseConnectionString(url);
  const summary = await withClient(target, async (client) => {
    await migrate(client);
    return seed(client, { encryptionKey: key, drill, size: options.size ?? { users: 60, auditEvents: 700 } });
  });
  return {
    url,
    database: target.database,
    encryptionKey,
    era: { label: options.eraLabel ?? 'era-sandbox-1', fingerprint: keyFingerprint(key) },
    drill: { email: summary.drill.email, ...drill },
    rowCounts: summary.counts,
  };
}
