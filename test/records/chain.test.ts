/**
 * One hash chain per signer: deleting, swapping or editing a record (even re-signed with the right key) is found,
 * and the first record that breaks the chain is the one named.
 */
import assert from 'node:assert/strict';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { signSshsig } from '../../src/records/sshsig.js';
import { publicKeyLine } from '../../src/records/ssh-keys.js';
import type { SigningKey } from '../../src/records/signing-key.js';
import { appendRecord, verifyRecords } from '../../src/records/store.js';
import type { AppendedRecord } from '../../src/records/types.js';
import {
  appendChain,
  modeOf,
  signingKey,
  sshKeygenVerify,
  workspace,
  writeAllowedSigners,
  type Workspace,
} from './helpers.js';

describe('record chains', () => {
  let ws: Workspace;
  let key: SigningKey;
  let chain: AppendedRecord[];
  let allowed: string;
  const verify = () =>
    verifyRecords({ recordsDir: ws.recordsDir, allowedSignersFile: allowed, localPublicKey: key.keyPair.publicKey });

  beforeEach(async () => {
    ws = await workspace();
    key = await signingKey(ws);
    allowed = await writeAllowedSigners(ws, key);
    chain = await appendChain(ws, key, 5);
  });
  afterEach(() => ws.cleanup());

  it('links each record to the previous one by name and SHA-256, files 0600 in a 0700 folder', async () => {
    assert.equal(chain[0]?.record.previous, null);
    for (let i = 1; i < chain.length; i++) {
      assert.deepEqual(chain[i]?.record.previous, { file: chain[i - 1]?.file, sha256: chain[i - 1]?.sha256 });
    }
    assert.equal(chain[0]?.file, '20261124T183501Z-drill-run-1.json');
    assert.equal(chain[0]?.record.signer.publicKey, publicKeyLine(key.keyPair.publicKey));
    assert.equal(await modeOf(ws.recordsDir), 0o700);
    for (const record of chain) {
      assert.equal(await modeOf(record.path), 0o600);
      assert.equal(await modeOf(record.sigPath), 0o600);
    }
    const result = await verify();
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    assert.equal(result.checked, 5);
    assert.equal(result.trust, 'allowed-signers');
    assert.equal(result.chains.length, 1);
    assert.equal(result.chains[0]?.head, chain[4]?.file);
  });

  it('gives a resumed run (same run id, same second) its own file, one second later, still in the chain', async () => {
    const at = new Date(Date.UTC(2026, 10, 24, 19, 30, 52, 400));
    const append = () =>
      appendRecord({
        recordsDir: ws.recordsDir,
        key: key.keyPair,
        principal: key.principal,
        record: {
          runbook: 'destroy',
          runId: 'run-resumed',
          outcome: 'failed',
          finishedAt: at.toISOString(),
          steps: [],
        },
        now: () => at,
      });
    const first = await append();
    const second = await append();
    assert.equal(first.file, '20261124T193052Z-destroy-run-resumed.json');
    assert.equal(second.file, '20261124T193053Z-destroy-run-resumed.json');
    assert.equal(second.record.recordedAt, '2026-11-24T19:30:53.000Z');
    assert.deepEqual(second.record.previous, { file: first.file, sha256: first.sha256 });
    const result = await verify();
    assert.deepEqual(result.problems, []);
    assert.equal(result.checked, 7);
  });

  it('names the record after a deleted one: missing predecessor', async () => {
    await rm(chain[2]!.path);
    await rm(chain[2]!.sigPath);
    const result = await verify();
    assert.equal(result.ok, false);
    assert.equal(result.problems[0]?.file, chain[3]?.file);
    assert.equal(result.problems[0]?.kind, 'missing-predecessor');
    assert.match(result.problems[0]?.problem ?? '', new RegExp(chain[2]!.file.replace(/\./g, '\\.')));
  });

  it('reports a signature left without its record before the record that pointed at it', async () => {
    await rm(chain[2]!.path);
    const result = await verify();
    assert.equal(result.problems[0]?.file, `${chain[2]?.file}.sig`);
    assert.equal(result.problems[0]?.kind, 'orphan-signature');
    assert.equal(result.problems[1]?.file, chain[3]?.file);
  });

  it('names the first of two swapped records (signatures swapped too, so each still verifies alone)', async () => {
    const [second, fourth] = [chain[1]!, chain[3]!];
    for (const [a, b] of [
      [second.path, fourth.path],
      [second.sigPath, fourth.sigPath],
    ] as const) {
      await rename(a, `${a}.swap`);
      await rename(b, a);
      await rename(`${a}.swap`, b);
    }
    assert.equal(sshKeygenVerify(allowed, key.principal, second.path).status, 0, 'the signature alone cannot see it');
    const result = await verify();
    assert.equal(result.ok, false);
    assert.equal(result.problems[0]?.file, second.file);
    assert.equal(result.problems[0]?.kind, 'reordered');
    assert.ok(result.problems.some((p) => p.file === second.file && p.kind === 'tampered'));
    assert.ok(!result.problems.some((p) => p.kind === 'bad-signature'));
  });

  it('names the first of two swapped records also when all were written within one second', async () => {
    const fast = await workspace();
    try {
      const fastKey = await signingKey(fast);
      const written: AppendedRecord[] = [];
      for (let i = 1; i <= 5; i++) {
        written.push(
          await appendRecord({
            recordsDir: fast.recordsDir,
            key: fastKey.keyPair,
            principal: fastKey.principal,
            record: { runbook: 'backup', runId: `fast-${i}` },
          }),
        );
      }
      const [second, fourth] = [written[1]!, written[3]!];
      for (const [a, b] of [
        [second.path, fourth.path],
        [second.sigPath, fourth.sigPath],
      ] as const) {
        await rename(a, `${a}.swap`);
        await rename(b, a);
        await rename(`${a}.swap`, b);
      }
      const result = await verifyRecords({ recordsDir: fast.recordsDir, localPublicKey: fastKey.keyPair.publicKey });
      assert.equal(result.problems[0]?.file, second.file);
      assert.equal(result.problems[0]?.kind, 'reordered');
    } finally {
      await fast.cleanup();
    }
  });

  it('names an edited record even when it was re-signed with the same key: only the chain catches it', async () => {
    const third = chain[2]!;
    const edited = (await readFile(third.path, 'utf8')).replace('"outcome": "passed"', '"outcome": "failed"');
    assert.notEqual(edited, await readFile(third.path, 'utf8'));
    await writeFile(third.path, edited);
    await writeFile(third.sigPath, signSshsig(Buffer.from(edited), key.keyPair));
    assert.equal(sshKeygenVerify(allowed, key.principal, third.path).status, 0, 'the re-signed record verifies alone');

    const result = await verify();
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.problems.map((p) => [p.file, p.kind]),
      [[third.file, 'tampered']],
    );
    assert.match(result.problems[0]!.problem, new RegExp(`after ${chain[3]!.file.replace(/\./g, '\\.')} was chained`));
  });

  it('names a byte flipped in the middle of the chain as a bad signature, and the hash break it causes', async () => {
    const bytes = await readFile(chain[1]!.path);
    const at = bytes.indexOf('run-2');
    bytes[at] = bytes[at]! ^ 0x20; // 'r' becomes 'R'
    await writeFile(chain[1]!.path, bytes);
    const result = await verify();
    assert.equal(result.problems[0]?.file, chain[1]?.file);
    assert.equal(result.problems[0]?.kind, 'bad-signature');
    assert.ok(result.problems.some((p) => p.file === chain[1]?.file && p.kind === 'tampered'));
  });

  it('finds a fork: two records claiming the same previous record', async () => {
    // a second record chained to run-3, as a copy of the folder taken before run-4 would have produced
    const forked = { ...chain[3]!.record, runId: 'run-4b', recordedAt: '2026-11-24T18:38:30.000Z' };
    const file = '20261124T183830Z-drill-run-4b.json';
    const bytes = Buffer.from(`${JSON.stringify(forked, null, 2)}\n`);
    await writeFile(join(ws.recordsDir, file), bytes, { mode: 0o600 });
    await writeFile(join(ws.recordsDir, `${file}.sig`), signSshsig(bytes, key.keyPair), { mode: 0o600 });
    const result = await verify();
    assert.equal(result.problems[0]?.file, file);
    assert.equal(result.problems[0]?.kind, 'fork');
    assert.ok(result.problems[0]!.problem.includes(`the same previous record ${chain[2]!.file} as ${chain[3]!.file}`));
  });

  it('never counts a record without its signature, or a *.partial, as complete', async () => {
    await rm(chain[4]!.sigPath);
    await writeFile(join(ws.recordsDir, '20261124T184500Z-drill-run-9.json.partial'), '{"runId":');
    const result = await verify();
    assert.equal(result.checked, 4);
    assert.deepEqual(
      result.problems.map((p) => [p.file, p.kind]),
      [
        [chain[4]!.file, 'missing-signature'],
        ['20261124T184500Z-drill-run-9.json.partial', 'incomplete'],
      ],
    );
  });

  it('trusts only the local key without an allowed signers file, and says so', async () => {
    const local = await verifyRecords({ recordsDir: ws.recordsDir, localPublicKey: key.keyPair.publicKey });
    assert.equal(local.ok, true);
    assert.equal(local.trust, 'local-key-only');

    const stranger = await workspace();
    try {
      const strangerKey = await signingKey(stranger);
      const foreign = await verifyRecords({ recordsDir: ws.recordsDir, localPublicKey: strangerKey.keyPair.publicKey });
      assert.equal(foreign.ok, false);
      assert.equal(foreign.problems.length, 5);
      assert.ok(foreign.problems.every((p) => p.kind === 'unknown-signer'));
      assert.match(foreign.problems[0]!.problem, /ALLOWED_SIGNERS_FILE is not set/);

      const otherAllowed = await writeAllowedSigners(stranger, strangerKey);
      const untrusted = await verifyRecords({ recordsDir: ws.recordsDir, allowedSignersFile: otherAllowed });
      assert.ok(untrusted.problems.every((p) => p.kind === 'unknown-signer'));
      assert.match(untrusted.problems[0]!.problem, /unknown signer: key SHA256:/);
    } finally {
      await stranger.cleanup();
    }
  });

  it('keeps one chain per signer in a shared folder', async () => {
    const other = await workspace();
    try {
      const otherKey = await signingKey(other);
      const theirs = await appendRecord({
        recordsDir: ws.recordsDir,
        key: otherKey.keyPair,
        principal: 'obexal-runbook@other-host',
        record: { runbook: 'backup', runId: 'b-1', outcome: 'passed' },
      });
      assert.equal(theirs.record.previous, null, 'the first record of a new signer starts its own chain');
      const mine = await appendRecord({
        recordsDir: ws.recordsDir,
        key: key.keyPair,
        principal: key.principal,
        record: { runbook: 'backup', runId: 'b-2', outcome: 'passed' },
      });
      assert.equal(mine.record.previous?.file, chain[4]?.file);
      const both = join(ws.root, 'both_signers');
      await writeFile(
        both,
        `${await readFile(allowed, 'utf8')}obexal-runbook@other-host ${publicKeyLine(otherKey.keyPair.publicKey)}\n`,
      );
      const result = await verifyRecords({ recordsDir: ws.recordsDir, allowedSignersFile: both });
      assert.deepEqual(result.problems, []);
      assert.equal(result.chains.length, 2);
    } finally {
      await other.cleanup();
    }
  });
});
