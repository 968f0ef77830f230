/**
 * PITR tests' set-up: the practice stack (cluster, seeded Obexal database, bucket, vault, auth-service) and a second
 * s3rver serving HTTPS with a self-signed certificate made here (pgBackRest's S3 repository speaks HTTPS only), the
 * repository passphrase in a vault file read by PITR_CIPHER_PASS_COMMAND, and a restart command for the cluster.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { findProgram } from '../../src/pg/programs.js';
import { startLocalBucket, type LocalBucket } from '../../src/sandbox/local-bucket.js';
import { startPracticeStack, type PracticeStack } from '../../src/sandbox/practice/stack.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { withDatabaseUrl } from '../helpers/pg.js';

export interface PitrSandbox {
  stack: PracticeStack;
  repository: LocalBucket;
  env: Record<string, string>;
  passphrase: string;
  configFile: string;
  stop(): Promise<void>;
}

function selfSignedCertificate(dir: string): { keyFile: string; certFile: string } {
  const keyFile = join(dir, 'tls.key');
  const certFile = join(dir, 'tls.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'ignore' });
  chmodSync(certFile, 0o644);
  return { keyFile, certFile };
}

export async function startPitrSandbox(): Promise<PitrSandbox> {
  const stack = await startPracticeStack();
  try {
    // The cluster's user (postgres, when root) must reach the configuration and the CA file.
    chmodSync(stack.dir, 0o711);
    const pitrDir = join(stack.dir, 'pitr');
    mkdirSync(pitrDir, { mode: 0o711 });
    const tls = selfSignedCertificate(pitrDir);
    const repository = await startLocalBucket({ bucket: stack.env.S3_BUCKET, tls });
    const passphrase = randomBytes(24).toString('base64');
    const passFile = join(pitrDir, 'passphrase');
    writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600 });
    const pgCtl = await findProgram('pg_ctl');
    const { dataDir, rootDir } = stack.cluster;
    const restart = `cd / && ${pgCtl} restart -D ${dataDir} -l ${join(rootDir, 'server.log')} -w -t 60 -m fast -s`;
    const asServerUser = process.getuid?.() === 0 ? ['su', '-s', '/bin/sh', 'postgres', '-c', restart] : ['sh', '-c', restart];
    const configFile = join(pitrDir, 'conf', 'pgbackrest.conf');
    const env = {
      ...stack.env,
      // pgBackRest matches the certificate against host names only (an IP address never matches).
      PITR_S3_ENDPOINT: repository.endpoint.replace('127.0.0.1', 'localhost'),
      PITR_S3_CA_FILE: tls.certFile,
      PITR_CONFIG_FILE: configFile,
      PITR_CIPHER_PASS_COMMAND: JSON.stringify(['cat', passFile]),
      PITR_RESTART_COMMAND: JSON.stringify(asServerUser),
      PITR_STANZA: 'practice',
    };
    return { stack, repository, env, passphrase, configFile, stop: async () => (await repository.stop(), await stack.stop()) };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

export function cli(sandbox: PitrSandbox, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { ...sandbox.env, ...env }, { timeoutMs: 600_000 });
}

export function sql<T extends Record<string, unknown>>(sandbox: PitrSandbox, text: string): Promise<T[]> {
  return withDatabaseUrl(sandbox.env.DATABASE_URL as string, async (client) => (await client.query<T>(text)).rows);
}

/** Switches to a new WAL segment and waits until the old one is archived, so that the repository holds it. */
export async function archiveCurrentWal(sandbox: PitrSandbox): Promise<void> {
  const [switched] = await sql<{ wal: string }>(sandbox, 'SELECT pg_walfile_name(pg_switch_wal()) AS wal');
  for (let i = 0; i < 300; i++) {
    const [state] = await sql<{ last: string | null }>(sandbox, 'SELECT last_archived_wal AS last FROM pg_stat_archiver');
    if (state?.last && switched && state.last >= switched.wal) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the WAL segment was not archived within 60 s');
}
