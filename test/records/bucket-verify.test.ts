/**
 * `records verify` against the bucket's copies (real s3rver, real signed records): a record cut off the end of the
 * local chain, one missing in the bucket, one present only in the bucket and one whose bucket copy differs are
 * each named with a non-zero exit and a hint; records of other signers in the bucket are counted, not compared;
 * a bucket that does not answer leaves the verification incomplete (exit 1), never "OK".
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, afterEach, describe, it } from 'node:test';
import { resolveSettings, type Settings } from '../../src/core/settings.js';
import { recordsVerify, type RecordsSettings } from '../../src/records/commands.js';
import { replicateRecords } from '../../src/records/replicate.js';
import { loadOrCreateSigningKey, type SigningKey } from '../../src/records/signing-key.js';
import type { AppendedRecord } from '../../src/records/types.js';
import { closeS3 } from '../../src/s3/client.js';
import { deleteObjects } from '../../src/s3/objects.js';
import { uploadFile } from '../../src/s3/upload.js';
import { runCli } from '../helpers/cli.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { closedPort, contextFor, useEnvCredentials } from '../s3/fixture.js';
import { appendChain, workspace, type Workspace } from './helpers.js';

describe('records verify against the bucket', () => {
  let s3: StartedS3rver;
  let ws: Workspace;
  let key: SigningKey;
  let chain: AppendedRecord[];
  let env: Record<string, string>;
  let settings: RecordsSettings;
  let prefixCount = 0;

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
  });
  after(() => s3.stop());

  const settingsFor = (extra: Record<string, string> = {}): Settings =>
    resolveSettings({ env: { ...env, ...extra }, configDir: ws.configDir });
  const withContext = async <T>(work: (context: ReturnType<typeof contextFor>) => Promise<T>): Promise<T> => {
    const context = contextFor(env);
    try {
      return await work(context);
    } finally {
      closeS3(context);
    }
  };

  beforeEach(async () => {
    ws = await workspace();
    key = await loadOrCreateSigningKey({ configDir: ws.configDir, recordsDir: ws.recordsDir });
    chain = await appendChain(ws, key, 4);
    prefixCount += 1;
    env = { ...s3.env, S3_PREFIX: `verify-${prefixCount}/` };
    const copied = await replicateRecords(settingsFor(), {
      recordsDir: ws.recordsDir,
      signal: AbortSignal.timeout(60_000),
    });
    assert.equal(copied.uploaded.length, 8, 'four records and their signatures in the bucket');
    settings = { recordsDir: ws.recordsDir, configDir: ws.configDir, bucket: settingsFor() };
  });
  afterEach(() => ws.cleanup());

  it('the same records on both sides: exit 0, and it says what it compared', async () => {
    const result = await recordsVerify(settings);
    assert.equal(result.exitCode, 0, result.text);
    assert.match(
      result.text,
      new RegExp(
        `^Bucket: compared with 4 record\\(s\\) in s3://${s3.env.S3_BUCKET}/verify-\\d+/records/ at http://\\S+\\.$`,
        'm',
      ),
    );
    assert.match(
      result.text,
      /^OK: every signature is good and every chain is intact, and the bucket holds the same records\.$/m,
    );
  });

  it('the newest record deleted here (the local chain still verifies): named as the cut end, exit 1', async () => {
    const [newest, before] = [chain[3]!, chain[2]!];
    await rm(newest.path);
    await rm(newest.sigPath);
    const result = await recordsVerify(settings);
    assert.equal(result.exitCode, 1, result.text);
    assert.ok(
      result.text.includes(
        `FAILED: 1 problem(s). The first break is ${newest.file}: in the bucket but not in ${ws.recordsDir}`,
      ),
      result.text,
    );
    assert.ok(
      result.text.includes(
        `  ${newest.file}: [only-in-bucket] in the bucket but not in ${ws.recordsDir}: it follows ${before.file}, ` +
          'the newest record here of its signer: the end of the local chain was cut off; ' +
          "the bucket's signature is good",
      ),
      result.text,
    );
    assert.match(
      result.text,
      /what to do: a record only in the bucket: copy it back with its \.sig \(aws s3 cp s3:\/\/\S+\/records\/<file> /,
    );

    // Without the bucket the same folder passes: exactly the hole this comparison closes.
    const alone = await recordsVerify({ ...settings, bucket: undefined });
    assert.equal(alone.exitCode, 0, alone.text);
  });

  it('the two newest deleted here: both named, the second as following the first', async () => {
    for (const record of chain.slice(2)) await Promise.all([rm(record.path), rm(record.sigPath)]);
    const result = await recordsVerify(settings);
    assert.equal(result.exitCode, 1, result.text);
    assert.match(
      result.text,
      new RegExp(
        `${chain[2]!.file}: \\[only-in-bucket\\] .*it follows ${chain[1]!.file}, the newest record here of its signer`,
      ),
    );
    assert.match(
      result.text,
      new RegExp(`${chain[3]!.file}: \\[only-in-bucket\\] .*it follows ${chain[2]!.file}, which is missing here too`),
    );
  });

  it('a record missing in the bucket: named, exit 1, with what to do', async () => {
    await withContext((context) => deleteObjects(context, [`records/${chain[1]!.file}`]));
    const result = await recordsVerify(settings);
    assert.equal(result.exitCode, 1, result.text);
    assert.ok(result.text.includes(`  ${chain[1]!.file}: [missing-in-bucket] not in s3://`), result.text);
    assert.match(result.text, /a record missing in the bucket: the next run of any runbook uploads it/);
    assert.doesNotMatch(result.text, /\[missing-in-bucket\].*\.sig/, 'its signature is still there');
  });

  it('a record deleted from the middle here: the chain break and the bucket copy are both named', async () => {
    await Promise.all([rm(chain[1]!.path), rm(chain[1]!.sigPath)]);
    const result = await recordsVerify(settings);
    assert.equal(result.exitCode, 1, result.text);
    assert.match(result.text, new RegExp(`${chain[2]!.file}: \\[missing-predecessor\\]`));
    assert.ok(
      result.text.includes(
        `${chain[1]!.file}: [only-in-bucket] in the bucket but not in ${ws.recordsDir}: ` +
          'it was deleted from RECORDS_DIR',
      ),
      result.text,
    );
  });

  it('a bucket copy with other bytes of the same length: named as differing', async () => {
    const original = await readFile(chain[0]!.path, 'utf8');
    const changed = original.replace('"passed"', '"failed"');
    assert.equal(changed.length, original.length);
    const forged = join(ws.root, 'forged.json');
    await writeFile(forged, changed);
    await withContext((context) => uploadFile(context, { file: forged, name: `records/${chain[0]!.file}` }));
    const result = await recordsVerify(settings);
    assert.equal(result.exitCode, 1, result.text);
    assert.ok(
      result.text.includes(
        `${chain[0]!.file}: [differs-from-bucket] the bucket's copy has other bytes of the same length`,
      ),
      result.text,
    );
  });

  it('records of another signer in the bucket are counted, not compared', async () => {
    const other = await workspace();
    try {
      const otherKey = await loadOrCreateSigningKey({ configDir: other.configDir, recordsDir: other.recordsDir });
      await appendChain(other, otherKey, 2, 30);
      const copied = await replicateRecords(settingsFor(), {
        recordsDir: other.recordsDir,
        signal: AbortSignal.timeout(60_000),
      });
      assert.equal(copied.uploaded.length, 4);
      const result = await recordsVerify(settings);
      assert.equal(result.exitCode, 0, result.text);
      assert.match(
        result.text,
        /^Bucket: compared with 6 record\(s\) in s3:\/\/\S+ at \S+; 2 record\(s\) there of other signers/m,
      );
    } finally {
      await other.cleanup();
    }
  });

  it('a bucket that does not answer: NOT COMPLETE, exit 1, never OK', async () => {
    const down = settingsFor({ S3_ENDPOINT: `http://127.0.0.1:${await closedPort()}` });
    const result = await recordsVerify({ ...settings, bucket: down });
    assert.equal(result.exitCode, 1, result.text);
    assert.match(result.text, /^Bucket: COULD NOT COMPARE with s3:\/\/\S+ at \S+: .*unreachable/m);
    assert.match(result.text, /^NOT COMPLETE: /m);
    assert.doesNotMatch(result.text, /^OK/m);
  });

  it('through the executable: the cut end named, exit 1', async () => {
    await Promise.all([rm(chain[3]!.path), rm(chain[3]!.sigPath)]);
    const cli = await runCli(['records', 'verify'], {
      ...env,
      OBEXAL_RUNBOOK_CONFIG_DIR: ws.configDir,
      RECORDS_DIR: ws.recordsDir,
      BACKUP_DIR: ws.root,
    });
    assert.equal(cli.exitCode, 1, cli.stdout + cli.stderr);
    assert.match(
      cli.stdout + cli.stderr,
      new RegExp(`${chain[3]!.file}: \\[only-in-bucket\\] .*the end of the local chain was cut off`),
    );
  });
});
