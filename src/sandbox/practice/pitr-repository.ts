/**
 * The `pitr` practice scenario's repository: a second local bucket serving HTTPS (pgBackRest's S3 repository speaks
 * HTTPS only) with a self-signed certificate for `localhost` made here with `openssl`, the repository passphrase in
 * the practice vault (read by PITR_CIPHER_PASS_COMMAND), and a restart command for the sandbox cluster. It is
 * stopped with the stack. The same set-up as the PITR tests' fixture (test/pitr/fixture.ts).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, constants, mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { StepFailedError } from '../../core/errors.js';
import { addSecret } from '../../core/redact.js';
import { findProgram } from '../../pg/programs.js';
import { startLocalBucket } from '../local-bucket.js';
import type { PracticeStack } from './stack.js';

export const PITR_PRACTICE_STANZA = 'practice';

/** The programs the scenario needs and the Debian package of each. */
const NEEDED = [
  { program: 'pgbackrest', packageName: 'pgbackrest' },
  { program: 'openssl', packageName: 'openssl' },
] as const;

async function onPath(program: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Refuses, naming the Debian packages, when pgBackRest or openssl is missing (before anything is started). */
export async function assertPitrProgramsInstalled(): Promise<void> {
  const missing: { program: string; packageName: string }[] = [];
  for (const need of NEEDED) if (!(await onPath(need.program))) missing.push(need);
  if (missing.length === 0) return;
  throw new StepFailedError(
    `the pitr practice scenario needs ${missing.map((m) => `\`${m.program}\``).join(' and ')}, not found on PATH`,
    `install the Debian package${missing.length > 1 ? 's' : ''}: ` +
      `\`apt-get install ${missing.map((m) => m.packageName).join(' ')}\`, then start the sandbox again`,
  );
}

async function selfSignedCertificate(dir: string): Promise<{ keyFile: string; certFile: string }> {
  const keyFile = join(dir, 'tls.key');
  const certFile = join(dir, 'tls.crt');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  ]);
  await chmod(certFile, 0o644);
  return { keyFile, certFile };
}

/** Starts the HTTPS repository (stopped with the stack) and returns the PITR settings of the sandbox. */
export async function startPitrRepository(stack: PracticeStack): Promise<Record<string, string>> {
  // The cluster's user (postgres, when root) must reach the configuration and the CA file, nothing else.
  await chmod(stack.dir, 0o711);
  const pitrDir = join(stack.dir, 'pitr');
  await mkdir(pitrDir, { mode: 0o711 });
  const tls = await selfSignedCertificate(pitrDir);
  const repository = await startLocalBucket({ bucket: stack.env.S3_BUCKET, tls, parentDir: pitrDir });
  stack.addStop(() => repository.stop());
  const passphrase = randomBytes(24).toString('base64');
  addSecret(passphrase);
  const passFile = join(stack.vault.dir, 'pitr-passphrase');
  await writeFile(passFile, `${passphrase}\n`, { mode: 0o600 });
  const pgCtl = await findProgram('pg_ctl');
  const { dataDir, rootDir } = stack.cluster;
  const restart = `cd / && ${pgCtl} restart -D ${dataDir} -l ${join(rootDir, 'server.log')} -w -t 60 -m fast -s`;
  const asServerUser =
    process.getuid?.() === 0 ? ['su', '-s', '/bin/sh', 'postgres', '-c', restart] : ['sh', '-c', restart];
  return {
    // pgBackRest matches the certificate against host names only (an IP address never matches).
    PITR_S3_ENDPOINT: repository.endpoint.replace('127.0.0.1', 'localhost'),
    PITR_S3_CA_FILE: tls.certFile,
    PITR_CONFIG_FILE: join(pitrDir, 'conf', 'pgbackrest.conf'),
    PITR_CIPHER_PASS_COMMAND: JSON.stringify(['cat', passFile]),
    PITR_RESTART_COMMAND: JSON.stringify(asServerUser),
    PITR_STANZA: PITR_PRACTICE_STANZA,
  };
}
