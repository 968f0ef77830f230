/**
 * The set-up most restore tests share: a sandbox database dumped under era A, then rotated to key B (every secret
 * re-encrypted by the real auth-service) with the register saying so, a row written after the dump (so that a
 * restore that happened changes the table checksums), a vault holding era A's key, and the environment of a
 * headless `obexal-runbook restore` against it.
 */
import assert from 'node:assert/strict';
import { generateEncryptionKey } from '../../src/keys/secret-value.js';
import type { Cluster } from '../../src/pg/cluster.js';
import { runAuthService } from '../auth-service/fixture.js';
import { testHome } from '../helpers/cli.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import {
  ageKeyPair,
  eraOf,
  keyVault,
  makeDump,
  SANDBOX_AUTH_SERVICE_EXEC,
  withPg,
  writeRegisterFile,
  type AgeKeyPair,
  type MadeDump,
} from './fixture.js';

export interface RotatedSource {
  db: SandboxDatabase;
  home: ReturnType<typeof testHome>;
  identity: AgeKeyPair;
  dump: MadeDump;
  keyA: string;
  keyB: string;
  vault: ReturnType<typeof keyVault>;
  /** The environment of a headless restore of this source (CONFIRM=yes, key B current, era A's key in the vault). */
  env(extra?: Record<string, string | undefined>): Record<string, string | undefined>;
}

export async function rotatedSource(
  cluster: Cluster,
  options: { prefix: string; users: number; auditEvents: number; dumpAgeMs: number },
): Promise<RotatedSource> {
  const db = await sandboxDatabase(cluster, {
    prefix: options.prefix,
    size: { users: options.users, auditEvents: options.auditEvents },
  });
  const home = testHome();
  const identity = await ageKeyPair(home.dir);
  const keyA = db.encryptionKey;
  const eraA = eraOf('era-a', keyA);
  const dump = await makeDump({
    url: db.url,
    backupDir: home.env.BACKUP_DIR!,
    recipient: identity.recipient,
    eras: [eraA],
    at: new Date(Date.now() - options.dumpAgeMs),
  });
  const keyB = generateEncryptionKey();
  const rotated = await runAuthService(['reencrypt-secrets'], {
    DATABASE_URL: db.url,
    ENCRYPTION_KEY: keyB,
    ENCRYPTION_KEY_OLD: keyA,
  });
  assert.equal(rotated.exitCode, 0, rotated.stderr);
  const rotatedAt = new Date().toISOString();
  writeRegisterFile(home.env.BACKUP_DIR!, [
    { ...eraA, start: '2026-01-01T00:00:00.000Z', end: rotatedAt },
    { ...eraOf('era-b', keyB), start: rotatedAt, end: null },
  ]);
  await withPg(db.url, (c) =>
    c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'after-the-dump')`),
  );
  const vault = keyVault({ 'era-a': keyA });
  return {
    db,
    home,
    identity,
    dump,
    keyA,
    keyB,
    vault,
    env: (extra = {}) => ({
      ...home.env,
      DATABASE_URL: db.url,
      CONFIRM: 'yes',
      ENCRYPTION_KEY: keyB,
      ENCRYPTION_KEY_COMMAND: vault.command,
      BACKUP_IDENTITY_FILE: identity.identityFile,
      AUTH_SERVICE_EXEC: SANDBOX_AUTH_SERVICE_EXEC,
      ...extra,
    }),
  };
}
