/**
 * A dump in the bucket is fetched, decrypted and hashed in one pass (issue 14), through a real s3rver, real age and
 * real pg_dump archives: no copy of the encrypted file is written; a connection dropped mid-way resumes from the
 * byte reached; a damaged object (a middle chunk), a truncated object, a wrong identity and Ctrl+C during the
 * transfer all end typed, with the target unchanged and no plaintext left behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { openS3, closeS3, type S3Context } from '../../src/s3/client.js';
import { openResumableObject } from '../../src/s3/download-stream.js';
import { s3SettingsFromEnv } from '../../src/s3/settings.js';
import { uploadFile } from '../../src/s3/upload.js';
import { BIN, runCli, testHome } from '../helpers/cli.js';
import { startCuttingProxy, type CuttingProxy } from '../helpers/cutting-proxy.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
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

describe('restore from the bucket in one streamed pass', () => {
  let s3: StartedS3rver;
  let proxy: CuttingProxy;
  let context: S3Context;
  let db: SandboxDatabase;
  let home: ReturnType<typeof testHome>;
  let identity: Awaited<ReturnType<typeof ageKeyPair>>;
  let dump: MadeDump;
  let checksums: Record<string, string>;

  before(async () => {
    s3 = await startS3rver();
    const credentials = { accessKeyId: s3.env.AWS_ACCESS_KEY_ID!, secretAccessKey: s3.env.AWS_SECRET_ACCESS_KEY! };
    context = openS3(s3SettingsFromEnv(s3.env), { credentials });
    const cluster = await clusterReady;
    db = await sandboxDatabase(cluster, { prefix: 'bstream', size: { users: 300, auditEvents: 4000 } });
    home = testHome();
    identity = await ageKeyPair(home.dir);
    const staging = join(home.dir, 'staging');
    mkdirSync(staging);
    const era = eraOf('era-a', db.encryptionKey);
    writeRegisterFile(home.env.BACKUP_DIR!, [{ ...era, start: '2026-01-01T00:00:00.000Z', end: null }]);
    dump = await makeDump({ url: db.url, backupDir: staging, recipient: identity.recipient, eras: [era] });
    await uploadFile(context, { file: dump.path, name: dump.name, sha256: dump.manifest.dump.sha256 });
    const manifestName = dump.manifestPath.split('/').pop()!;
    await uploadFile(context, { file: dump.manifestPath, name: manifestName, contentType: 'application/json' });
    // A row written after the dump: a restore would remove it, so an unchanged checksum proves nothing was restored.
    await withPg(db.url, (c) => c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'after')`));
    checksums = await tableChecksums(db.url);
    proxy = await startCuttingProxy(s3.env.S3_ENDPOINT!, dump.name);
  });

  after(async () => {
    if (context) closeS3(context);
    await proxy?.stop();
    await s3?.stop();
  });

  function env(tmp: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      ...home.env,
      ...s3.env,
      S3_ENDPOINT: proxy.endpoint,
      TMPDIR: tmp,
      DATABASE_URL: db.url,
      CONFIRM: 'yes',
      ENCRYPTION_KEY: db.encryptionKey,
      BACKUP_IDENTITY_FILE: identity.identityFile,
      ...extra,
    };
  }

  const privateFolders = (tmp: string) => readdirSync(tmp).filter((n) => n.startsWith('obexal-run-'));

  async function fails(tmp: string, extra: Record<string, string | undefined>, message: RegExp): Promise<string> {
    const databases = await databasesLike(db.url, `${db.database}\\_\\_%`);
    const result = await runCli(['restore', `bucket:${dump.name}`], env(tmp, extra), { timeoutMs: 120_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.exitCode, 1, output);
    assert.match(output, message);
    assert.match(output, /what to do:/);
    assert.deepEqual(await tableChecksums(db.url), checksums, 'the target content is unchanged');
    assert.deepEqual(await databasesLike(db.url, `${db.database}\\_\\_%`), databases, 'no copy database is left');
    assert.deepEqual(privateFolders(tmp), [], 'the private folder (and any plaintext in it) is removed');
    return output;
  }

  /** Replaces the stored object with `bytes` for the length of `body`. */
  async function withObject(bytes: Buffer, body: () => Promise<void>): Promise<void> {
    const stored = s3.storedObjectPath(`obexal/${dump.name}`);
    const original = readFileSync(stored);
    const file = join(home.dir, 'replacement.age');
    writeFileSync(file, bytes);
    await uploadFile(context, { file, name: dump.name });
    try {
      await body();
    } finally {
      writeFileSync(file, original);
      await uploadFile(context, { file, name: dump.name, sha256: dump.manifest.dump.sha256 });
    }
  }

  it('the object read through a connection cut mid-way resumes from the byte reached, byte for byte', async () => {
    const proxied = openS3(s3SettingsFromEnv({ ...s3.env, S3_ENDPOINT: proxy.endpoint }), {
      credentials: { accessKeyId: s3.env.AWS_ACCESS_KEY_ID!, secretAccessKey: s3.env.AWS_SECRET_ACCESS_KEY! },
    });
    try {
      const cutsBefore = proxy.cuts();
      proxy.arm({ kind: 'cut', after: 20_000 });
      const object = await openResumableObject(proxied, dump.name);
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of object.body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      assert.equal(proxy.cuts(), cutsBefore + 1, 'the proxy cut the connection');
      assert.equal(object.resumes(), 1);
      assert.equal(size, dump.manifest.dump.size);
      assert.equal(hash.digest('hex'), dump.manifest.dump.sha256);
    } finally {
      closeS3(proxied);
    }
  });

  it('restores through a dropped connection; no copy of the encrypted file is written', async () => {
    const tmp = privateTmp();
    proxy.arm({ kind: 'cut', after: Math.floor(dump.manifest.dump.size / 2) });
    const result = await runCli(['restore', `bucket:${dump.name}`], env(tmp), { timeoutMs: 180_000 });
    assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /streamed into the decryption \(no copy of the encrypted file written\)/);
    assert.match(
      result.stdout,
      /the connection resumed 1 time\(s\) from the byte reached; SHA-256 matches the manifest/,
    );
    assert.match(result.stdout, /verified against its manifest/);
    const markers = await withPg(
      db.url,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE action = 'test.marker'`)).rowCount,
    );
    assert.equal(markers, 0, 'the dump (taken before the marker row) was restored');
    assert.deepEqual(privateFolders(tmp), []);
    // Put the marker back: the later cases compare against the checksums taken with it.
    await withPg(db.url, (c) => c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'after')`));
    checksums = await tableChecksums(db.url);
  });

  it('a damaged middle chunk in the bucket: the rest is still hashed and the copy named as damaged', async () => {
    const bytes = Buffer.from(readFileSync(dump.path));
    const at = Math.floor(bytes.length / 3);
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    await withObject(bytes, async () => {
      await fails(privateTmp(), {}, /has SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64} \(from the manifest\)/);
    });
  });

  it('a truncated object in the bucket: refused against the manifest before anything is decrypted', async () => {
    const bytes = readFileSync(dump.path).subarray(0, Math.floor(dump.manifest.dump.size * 0.6));
    await withObject(bytes, async () => {
      const output = await fails(privateTmp(), {}, /is \d+ bytes, its manifest records \d+: the file is truncated/);
      assert.doesNotMatch(output, /decrypted [\d.]+ \w+ in/);
    });
  });

  it('a wrong identity: refused at the header, nothing decrypted', async () => {
    mkdirSync(join(home.dir, 'other-key'));
    const other = await ageKeyPair(join(home.dir, 'other-key'));
    await fails(privateTmp(), { BACKUP_IDENTITY_FILE: other.identityFile }, /the dump was encrypted to age1/);
  });

  it('Ctrl+C while the transfer is stalled: exit 130, the partial plaintext removed, the target unchanged', async () => {
    const tmp = privateTmp();
    proxy.arm({ kind: 'stall', after: Math.floor(dump.manifest.dump.size / 2) });
    const child = spawn(process.execPath, ['--', BIN, 'restore', `bucket:${dump.name}`], {
      env: Object.fromEntries(
        Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...env(tmp) }).filter(
          ([, v]) => v !== undefined,
        ),
      ) as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const files = () => privateFolders(tmp).flatMap((d) => readdirSync(join(tmp, d)));
    const started = Date.now();
    while (!(proxy.stalled() && files().some((n) => n.endsWith('.partial')))) {
      assert.ok(Date.now() - started < 60_000, `the transfer never stalled:\n${output}`);
      assert.equal(child.exitCode, null, `the run ended before the stall:\n${output}`);
      await sleep(50);
    }
    const during = files();
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(killer);
    assert.equal(code, 130, output);
    assert.deepEqual(
      during.filter((n) => n.endsWith('.age')),
      [],
      `no copy of the encrypted file in the private folder: ${during.join(', ')}`,
    );
    assert.deepEqual(privateFolders(tmp), [], 'the private folder and the partial plaintext are removed');
    assert.ok(!existsSync(join(tmp, dump.name)));
    assert.deepEqual(await tableChecksums(db.url), checksums, 'the target content is unchanged');
  });
});
