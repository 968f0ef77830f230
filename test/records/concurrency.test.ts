/**
 * Appends that race: ten separate processes (and, separately, ten promises in one process) append at once.
 * The lock in RECORDS_DIR must turn them into one linear chain: one start, every record followed at most once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { appendRecord, verifyRecords } from '../../src/records/store.js';
import type { AppendedRecord, TimingRecord } from '../../src/records/types.js';
import { readRecord } from '../../src/records/store.js';
import { signingKey, workspace, writeAllowedSigners, type Workspace } from './helpers.js';
import { join } from 'node:path';

const run = promisify(execFile);
const appendOne = fileURLToPath(new URL('./fixtures/append-one.ts', import.meta.url));

async function assertLinearChain(ws: Workspace, expected: number): Promise<void> {
  const files = (await readdir(ws.recordsDir)).filter((name) => name.endsWith('.json'));
  assert.equal(files.length, expected);
  const records = new Map<string, TimingRecord>();
  for (const file of files) records.set(file, await readRecord(join(ws.recordsDir, file)));
  const starts = [...records.values()].filter((record) => record.previous === null);
  assert.equal(starts.length, 1, 'exactly one record starts the chain');
  const previousFiles = [...records.values()].flatMap((record) => (record.previous ? [record.previous.file] : []));
  assert.equal(new Set(previousFiles).size, expected - 1, 'no two records follow the same one');
  for (const file of previousFiles) assert.ok(records.has(file), `${file} exists`);
  const leftovers = (await readdir(ws.recordsDir)).filter(
    (name) => name.endsWith('.partial') || name.startsWith('.records.lock'),
  );
  assert.deepEqual(leftovers, [], 'no partial file and no lock left behind');
}

describe('concurrent appends', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(() => ws.cleanup());

  it('ten processes appending at once yield one linear chain that verifies', async () => {
    const key = await signingKey(ws); // created once; the children load it
    const children = Array.from({ length: 10 }, (_, i) =>
      run(process.execPath, ['--import', 'tsx', appendOne, ws.recordsDir, ws.configDir, `p-${i}`], {
        cwd: process.cwd(),
      }),
    );
    const outputs = await Promise.all(children);
    assert.equal(new Set(outputs.map((o) => o.stdout.trim())).size, 10);
    await assertLinearChain(ws, 10);
    const result = await verifyRecords({
      recordsDir: ws.recordsDir,
      allowedSignersFile: await writeAllowedSigners(ws, key),
    });
    assert.deepEqual(result.problems, []);
    assert.equal(result.checked, 10);
  });

  it('ten promises appending at once in one process yield one linear chain', async () => {
    const key = await signingKey(ws);
    const appended: AppendedRecord[] = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        appendRecord({
          recordsDir: ws.recordsDir,
          key: key.keyPair,
          principal: key.principal,
          record: { runbook: 'drill', runId: `q-${i}` },
          lockWaitMs: 30_000,
        }),
      ),
    );
    assert.equal(appended.filter((a) => a.record.previous === null).length, 1);
    await assertLinearChain(ws, 10);
    const result = await verifyRecords({ recordsDir: ws.recordsDir, localPublicKey: key.keyPair.publicKey });
    assert.deepEqual(result.problems, []);
    assert.equal(result.chains[0]?.records, 10);
  });
});
