/**
 * The upload to the bucket while the dump is written (issue 14), through the real executable, s3rver and a real
 * pg_dump behind a wrapper that pauses its output at a point the test chooses: the upload ends as the dump's copy in
 * the bucket; a bucket that goes away during the dump, or an upload killed with the run mid-dump, never costs the
 * local dump (or leaves a completed object that is not it), and the backup says what to do.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { closeS3 } from '../../src/s3/client.js';
import { headObject } from '../../src/s3/objects.js';
import { contextFor, useEnvCredentials } from '../s3/fixture.js';
import { BIN, runCli, type CliResult } from '../helpers/cli.js';
import { withCluster, withDatabaseUrl } from '../helpers/pg.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import {
  ageIdentity,
  backupFiles,
  backupHome,
  childPath,
  readManifests,
  removeTempDirs,
  tempDir,
  type TestIdentity,
} from './helpers.js';

const cluster = await withCluster();
let db: SandboxDatabase;
let identity: TestIdentity;
const homes: string[] = [];
const outputs: Record<string, string> = {};
const started: StartedS3rver[] = [];

before(async () => {
  db = await sandboxDatabase(cluster, { prefix: 'stream_src' });
  // 12 MiB of random bytes, 24 MiB in the archive as hex text, which zstd shrinks to about 12 MiB again: the dump
  // spans more than one 5 MiB part, so the upload is a multipart one.
  await withDatabaseUrl(db.url, async (client) => {
    await client.query('CREATE TABLE bulk (id int, payload bytea)');
    await client.query(
      "INSERT INTO bulk SELECT g, decode(string_agg(md5(random()::text || g || s), ''), 'hex') " +
        'FROM generate_series(1, 48) g, generate_series(1, 16384) s GROUP BY g',
    );
  });
  identity = ageIdentity(tempDir('obexal-stream-keys-'));
});

after(async () => {
  for (const s3 of started) await s3.stop().catch(() => undefined);
  try {
    assert.deepEqual(scanForSecrets(homes, [cluster.password, db.encryptionKey, identity.secret], outputs), []);
  } finally {
    removeTempDirs();
  }
});

/** pg_dump's uncompressed output held back after 20 MiB: about 10 MiB of dump once compressed, past one part. */
const PAUSE_AFTER = 20 * 1024 * 1024;

async function bucket(): Promise<StartedS3rver> {
  const s3 = await startS3rver();
  started.push(s3);
  return s3;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * A pg_dump that passes `afterBytes` of its output, touches `<gate>/paused`, and waits for `<gate>/go` before the
 * rest (dd reads no more than it passes on, so no byte is lost).
 */
function pausingPgDump(dir: string, afterBytes: number): { bin: string; gate: string } {
  const bin = join(dir, 'pausing-bin');
  const gate = join(dir, 'gate');
  mkdirSync(bin);
  mkdirSync(gate);
  const real = `/usr/lib/postgresql/${cluster.major}/bin/pg_dump`;
  const mib = Math.ceil(afterBytes / 65536);
  writeFileSync(
    join(bin, 'pg_dump'),
    `#!/bin/sh
case " $* " in *" --format=custom "*) ;; *) exec ${real} "$@" ;; esac
${real} "$@" | {
  dd bs=65536 count=${mib} iflag=fullblock 2>/dev/null
  touch ${gate}/paused
  while [ ! -e ${gate}/go ]; do sleep 0.05; done
  cat
}
`,
  );
  chmodSync(join(bin, 'pg_dump'), 0o755);
  return { bin, gate };
}

/** The dumps s3rver holds (completed objects only: parts of an upload are kept elsewhere). */
function storedDumps(s3: StartedS3rver): string[] {
  const root = join(s3.directory, s3.bucket);
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith('.dump.zst.age._S3rver_object'));
}

/** Waits until s3rver holds a received part of a multipart upload (its `<n>.md5` is written once it is whole). */
async function waitForPart(s3: StartedS3rver): Promise<void> {
  const uploads = join(s3.directory, s3.bucket, '._S3rver_uploads');
  const hasPart = () =>
    existsSync(uploads) &&
    readdirSync(uploads, { recursive: true })
      .map(String)
      .some((name) => name.endsWith('.md5'));
  await until(hasPart, 'a part of the upload in the bucket');
}

async function waitFor(path: string): Promise<void> {
  await until(() => existsSync(path), path);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited a minute for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function homeFor(s3: StartedS3rver, pausing: { bin: string }) {
  const home = backupHome(db.url, identity.recipient, { ...s3.env, ENCRYPTION_KEY: db.encryptionKey });
  homes.push(home.dir);
  return { ...home, env: { ...home.env, PATH: `${pausing.bin}:${childPath()}` } };
}

function keep(name: string, result: CliResult): CliResult {
  outputs[`${name} stdout`] = result.stdout;
  outputs[`${name} stderr`] = result.stderr;
  return result;
}

describe('the dump goes up while it is written', () => {
  it('the copy in the bucket is the dump, with its sha256 metadata, reported as uploaded during the dump', async () => {
    const s3 = await bucket();
    const pausing = pausingPgDump(tempDir('obexal-stream-'), PAUSE_AFTER);
    const home = homeFor(s3, pausing);
    const running = runCli(['backup', '--yes', '--json'], home.env);
    await waitFor(join(pausing.gate, 'paused'));
    try {
      // The first 5 MiB part reaches the bucket while pg_dump is still held mid-output.
      await waitForPart(s3);
    } finally {
      writeFileSync(join(pausing.gate, 'go'), '');
    }
    const result = keep('streamed', await running);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const [manifest] = readManifests(home.backupDir);
    assert.ok(manifest);
    const dump = manifest.manifest.dump;
    assert.ok(dump.size > 8 * 1024 * 1024, `a multipart dump (${dump.size} bytes)`);
    assert.equal(sha256(s3.storedObjectPath(`obexal/${dump.name}`)), dump.sha256);
    useEnvCredentials(s3.env);
    const context = contextFor(s3.env);
    try {
      assert.equal((await headObject(context, dump.name))?.sha256, dump.sha256, 'the sha256 metadata');
    } finally {
      closeS3(context);
    }
    assert.match(result.stdout, new RegExp(`${dump.name.replace(/\./g, '\\.')}: uploaded during the dump`));
    assert.match(result.stdout, /read back in full right after its upload and matches/);
    assert.equal(manifest.manifest.verified.local, true);
  });

  it('the bucket goes away during the dump: the local dump is kept, the run fails saying what to do', async () => {
    const s3 = await bucket();
    const pausing = pausingPgDump(tempDir('obexal-stream-'), PAUSE_AFTER);
    const home = homeFor(s3, pausing);
    const running = runCli(['backup'], home.env);
    await waitFor(join(pausing.gate, 'paused'));
    await s3.stop();
    writeFileSync(join(pausing.gate, 'go'), '');
    const failed = keep('bucket gone', await running);
    assert.equal(failed.exitCode, 1, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /\+ dump: ok/);
    assert.match(failed.stdout, /\+ manifest: ok/);
    assert.match(failed.stdout, /x replicate: FAILED/);
    const [manifest] = readManifests(home.backupDir);
    assert.ok(manifest);
    const dump = manifest.manifest.dump;
    assert.equal(sha256(join(home.backupDir, dump.name)), dump.sha256, 'the local dump is complete');
    assert.match(failed.stdout, /begun during the dump failed \(.*\): uploading it now/);
    assert.match(failed.stdout, new RegExp(`the local dump ${dump.name.replace(/\./g, '\\.')} is complete and kept`));

    // The bucket back (another s3rver, empty): the next run uploads the dump the first one kept.
    const back = await bucket();
    const again = keep('bucket back', await runCli(['backup'], { ...home.env, ...back.env }));
    assert.equal(again.exitCode, 0, again.stdout + again.stderr);
    assert.equal(sha256(back.storedObjectPath(`obexal/${dump.name}`)), dump.sha256);
  });

  it('the run killed mid-dump: the upload is aborted, no object completed, no partial file left', async () => {
    const s3 = await bucket();
    const pausing = pausingPgDump(tempDir('obexal-stream-'), PAUSE_AFTER);
    const home = homeFor(s3, pausing);
    const child = execa(process.execPath, ['--', BIN, 'backup'], {
      env: { HOME: process.env.HOME, LANG: 'C.UTF-8', ...home.env },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 120_000,
    });
    await waitFor(join(pausing.gate, 'paused'));
    await waitForPart(s3).finally(() => child.kill('SIGINT')); // the upload had begun
    writeFileSync(join(pausing.gate, 'go'), '');
    const result = await child;
    keep('killed', { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) });
    assert.notEqual(result.exitCode, 0);
    assert.match(String(result.stdout), /dump: INTERRUPTED/i);
    assert.deepEqual(
      backupFiles(home.backupDir).filter((n) => n.includes('.dump')),
      [],
      'no dump and no partial file',
    );
    assert.deepEqual(storedDumps(s3), [], 'no object completed in the bucket');
  });
});
