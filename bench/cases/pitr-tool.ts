/**
 * The tool's own physical lines (issue 15): `obexal-runbook backup --physical` (a full, forced by the answers) and
 * `restore --to latest` (pgBackRest restore into a throwaway cluster, WAL replayed, the database exported and
 * swap-restored in place). The repository is what production uses: S3 over HTTPS, here a second s3rver with a
 * self-signed certificate for `localhost` made at run time (as test/pitr/fixture.ts), `aes-256-cbc`, zst.
 * `pitr-setup` runs first, untimed (it restarts the cluster for archive_mode and takes a first full backup).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addSecret } from '../../src/core/redact.js';
import { findProgram } from '../../src/pg/programs.js';
import { startLocalBucket } from '../../src/sandbox/local-bucket.js';
import type { BenchContext, SizeTarget } from '../context.js';
import { assertSucceeded, type MeasuredRun } from '../measure.js';
import { summarize } from '../stats.js';
import { runTool } from '../tool.js';
import type { Measured } from '../types.js';
import { toolEnvFor } from './backup.js';
import { restoreEnv } from './restore.js';

export interface ToolPitrOutcome {
  backup: Measured;
  restore: Measured;
  /** The repository stays up until archive_command points elsewhere (a shutdown waits for the archiver). */
  stopRepository(): Promise<void>;
}

function selfSignedCertificate(dir: string): { keyFile: string; certFile: string } {
  const keyFile = join(dir, 'tls.key');
  const certFile = join(dir, 'tls.crt');
  execFileSync(
    'openssl',
    [
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
    ],
    { stdio: 'ignore' },
  );
  chmodSync(certFile, 0o644);
  return { keyFile, certFile };
}

/** The PITR_* variables (added to the backup's and the restore's environments). */
async function pitrVars(
  ctx: BenchContext,
  dir: string,
  endpoint: string,
  certFile: string,
): Promise<Record<string, string>> {
  const passphrase = randomBytes(24).toString('base64');
  addSecret(passphrase);
  const passFile = join(dir, 'passphrase');
  writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600 });
  const { dataDir, rootDir } = ctx.dbs.stack.cluster;
  const restart = `cd / && ${await findProgram('pg_ctl')} restart -D ${dataDir} -l ${join(rootDir, 'server.log')} -w -t 120 -m fast -s`;
  const asServerUser =
    process.getuid?.() === 0 ? ['su', '-s', '/bin/sh', 'postgres', '-c', restart] : ['sh', '-c', restart];
  return {
    // pgBackRest matches the certificate against host names only (an IP address never matches).
    PITR_S3_ENDPOINT: endpoint.replace('127.0.0.1', 'localhost'),
    PITR_S3_CA_FILE: certFile,
    PITR_CONFIG_FILE: join(dir, 'conf', 'pgbackrest.conf'),
    PITR_CIPHER_PASS_COMMAND: JSON.stringify(['cat', passFile]),
    PITR_RESTART_COMMAND: JSON.stringify(asServerUser),
    PITR_STANZA: 'benchtool',
  };
}

type Lines = Omit<ToolPitrOutcome, 'stopRepository'>;

async function measureRuns(
  ctx: BenchContext,
  env: Record<string, string>,
  restoreRunEnv: Record<string, string>,
  answers: string,
): Promise<Lines> {
  const backups: MeasuredRun[] = [];
  const restores: MeasuredRun[] = [];
  for (let i = 1; i <= ctx.options.repetitions; i++) {
    const backup = await runTool(ctx.tool, ['backup', '--physical', '--yes', '--answers', answers], env);
    assertSucceeded(backup, 'obexal-runbook backup --physical');
    backups.push(backup);
    const restore = await runTool(ctx.tool, ['restore', '--to', 'latest', '--yes'], restoreRunEnv);
    assertSucceeded(restore, 'obexal-runbook restore --to latest');
    restores.push(restore);
    ctx.say(
      `  #${i} backup --physical (full) ${backup.seconds.toFixed(1)} s, restore --to latest ${restore.seconds.toFixed(1)} s`,
    );
  }
  return { backup: summarize(backups), restore: summarize(restores) };
}

export async function measureToolPitr(ctx: BenchContext, target: SizeTarget): Promise<ToolPitrOutcome> {
  const stack = ctx.dbs.stack;
  // The cluster's user (postgres, when root) must reach the configuration and the CA file.
  chmodSync(stack.dir, 0o711);
  const dir = join(stack.dir, 'pitr-bench');
  mkdirSync(dir, { mode: 0o711, recursive: true });
  const tls = selfSignedCertificate(dir);
  const repository = await startLocalBucket({ bucket: stack.env.S3_BUCKET, tls });
  const stopRepository = () => repository.stop();
  try {
    const pitr = await pitrVars(ctx, dir, repository.endpoint, tls.certFile);
    const env = { ...toolEnvFor(ctx, target), ...pitr };
    const setup = await runTool(ctx.tool, ['pitr-setup', '--yes'], { ...env, CONFIRM: 'yes' });
    assertSucceeded(setup, 'obexal-runbook pitr-setup');
    ctx.say(`  pitr-setup (untimed: restart and first full backup) ${setup.seconds.toFixed(1)} s`);
    const answers = join(dir, 'full.yaml');
    writeFileSync(answers, 'type: full\n', { mode: 0o600 });
    // In place of the practice database (run last: the data is the same), without the application's stop/start.
    return {
      ...(await measureRuns(ctx, env, { ...restoreEnv(ctx, target, target.url), ...pitr }, answers)),
      stopRepository,
    };
  } catch (error) {
    const message = (error as Error).message;
    ctx.errors.push(`pitr (tool): ${message}`);
    ctx.say(`  obexal-runbook physical lines failed: ${message.split('\n')[0]}`);
    const notMeasured = { notMeasured: `failed: ${message.split('\n')[0]}` };
    return { backup: notMeasured, restore: notMeasured, stopRepository };
  }
}
