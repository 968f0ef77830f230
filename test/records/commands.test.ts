/**
 * `records list|show|verify|pubkey` as the CLI calls them: text and exit code, nothing printed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import {
  recordsList,
  recordsPubkey,
  recordsShow,
  recordsVerify,
  type RecordsSettings,
} from '../../src/records/commands.js';
import { loadOrCreateSigningKey } from '../../src/records/signing-key.js';
import { listRecords } from '../../src/records/store.js';
import type { AppendedRecord } from '../../src/records/types.js';
import { appendChain, NAMESPACE, workspace, type Workspace } from './helpers.js';

describe('records commands', () => {
  let ws: Workspace;
  let settings: RecordsSettings;
  let chain: AppendedRecord[];
  beforeEach(async () => {
    ws = await workspace();
    settings = { recordsDir: ws.recordsDir, configDir: ws.configDir };
    const key = await loadOrCreateSigningKey(settings);
    chain = await appendChain(ws, key, 3);
  });
  afterEach(() => ws.cleanup());

  it('pubkey prints the allowed-signers line that ssh-keygen -Y verify accepts records with', async () => {
    const { text, exitCode } = await recordsPubkey(settings);
    assert.equal(exitCode, 0);
    assert.match(text, /^obexal-runbook@\S+ namespaces="obexal-runbook-record@v1" ssh-ed25519 AAAA[A-Za-z0-9+/=]+\n$/);
    const allowed = join(ws.root, 'allowed_signers');
    await writeFile(allowed, text);
    const principal = text.split(' ')[0] as string;
    const record = chain[1]!;
    const verdict = spawnSync(
      'ssh-keygen',
      ['-Y', 'verify', '-f', allowed, '-I', principal, '-n', NAMESPACE, '-s', record.sigPath],
      {
        input: await readFile(record.path),
      },
    );
    assert.equal(verdict.status, 0, verdict.stderr.toString());
  });

  it('list shows the records newest first', async () => {
    const listed = await listRecords(ws.recordsDir);
    assert.deepEqual(
      listed.map((r) => [r.runId, r.runbook, r.outcome]),
      [
        ['run-3', 'drill', 'passed'],
        ['run-2', 'drill', 'passed'],
        ['run-1', 'drill', 'passed'],
      ],
    );
    const { text, exitCode } = await recordsList(settings);
    assert.equal(exitCode, 0);
    const lines = text.trim().split('\n');
    assert.match(lines[0]!, /^FINISHED\s+RUNBOOK\s+OUTCOME\s+RUN ID\s+FILE$/);
    assert.match(lines[1]!, /run-3/);
    assert.equal(
      (await recordsList({ ...settings, recordsDir: join(ws.root, 'none') })).text,
      `no records in ${join(ws.root, 'none')}\n`,
    );
  });

  it('show finds a record by run id, file name or path, and reports its signature', async () => {
    for (const id of ['run-2', chain[1]!.file, chain[1]!.path]) {
      const { text, exitCode } = await recordsShow(settings, id);
      assert.equal(exitCode, 0, text);
      assert.match(text, /signature\s+good, by SHA256:\S+ \(this host's key\)/);
      assert.ok(text.includes(`previous   ${chain[0]!.file}`));
      assert.ok(text.includes('"runId": "run-2"'));
    }
    await assert.rejects(
      recordsShow(settings, 'run-'),
      (error: unknown) => error instanceof UsageError && /matches 3 records/.test(error.message),
    );
    await assert.rejects(recordsShow(settings, 'nothing-like-it'), UsageError);

    const bytes = await readFile(chain[1]!.path);
    bytes[bytes.indexOf('passed')] = 'P'.charCodeAt(0);
    await writeFile(chain[1]!.path, bytes);
    const tampered = await recordsShow(settings, 'run-2');
    assert.equal(tampered.exitCode, 1);
    assert.match(tampered.text, /signature\s+BAD: the signature does not match the content/);
  });

  it('verify exits 0 on an intact folder, 1 naming the first break, and says what it trusted', async () => {
    const good = await recordsVerify(settings);
    assert.equal(good.exitCode, 0, good.text);
    assert.match(good.text, /Checked 3 record\(s\)/);
    assert.match(good.text, /this host's signing key only .*ALLOWED_SIGNERS_FILE is not set/);
    assert.match(good.text, /^OK: /m);

    const allowed = join(ws.root, 'allowed_signers');
    await writeFile(allowed, (await recordsPubkey(settings)).text);
    const trusted = await recordsVerify({ ...settings, allowedSignersFile: allowed });
    assert.equal(trusted.exitCode, 0, trusted.text);
    assert.match(trusted.text, new RegExp(`against the allowed signers in ${allowed}`));

    const edited = (await readFile(chain[0]!.path, 'utf8')).replace('"passed"', '"failed"');
    await writeFile(chain[0]!.path, edited);
    const broken = await recordsVerify(settings);
    assert.equal(broken.exitCode, 1);
    assert.ok(broken.text.includes(`The first break is ${chain[0]!.file}: bad signature`), broken.text);
  });
});
