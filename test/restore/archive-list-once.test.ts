/** The archive's table of contents is read once per process and file, again only when the file changed. */
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { archiveListText } from '../../src/restore/archive.js';

describe('archiveListText', () => {
  const dir = mkdtempSync(join(tmpdir(), 'archive-list-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const calls = join(dir, 'calls');
  // A stand-in for pg_restore that says each call and prints the file's first line as its listing.
  const program = join(dir, 'pg_restore');
  writeFileSync(program, `#!/bin/sh\necho "$@" >> '${calls}'\nhead -n 1 "$2"\n`);
  chmodSync(program, 0o700);
  const callCount = () => readFileSync(calls, 'utf8').trim().split('\n').length;
  const signal = new AbortController().signal;

  it('a second listing of the same file does not run pg_restore again', async () => {
    const file = join(dir, 'a.dump');
    writeFileSync(file, 'listing one\n');
    assert.equal(await archiveListText(program, file, signal), 'listing one\n');
    assert.equal(await archiveListText(program, file, signal), 'listing one\n');
    assert.equal(callCount(), 1);
  });

  it('a changed file is listed again', async () => {
    const file = join(dir, 'b.dump');
    writeFileSync(file, 'before\n');
    const before = callCount();
    assert.equal(await archiveListText(program, file, signal), 'before\n');
    writeFileSync(file, 'after!\n');
    assert.equal(await archiveListText(program, file, signal), 'after!\n');
    appendFileSync(file, 'more\n');
    assert.equal(await archiveListText(program, file, signal), 'after!\n');
    assert.equal(callCount(), before + 3);
  });

  it('a file replaced by another of the same name and size is listed again', async () => {
    const file = join(dir, 'c.dump');
    writeFileSync(file, 'first\n');
    const before = callCount();
    await archiveListText(program, file, signal);
    rmSync(file);
    writeFileSync(join(dir, 'other'), 'other\n');
    writeFileSync(file, 'again\n');
    assert.equal(await archiveListText(program, file, signal), 'again\n');
    assert.equal(callCount(), before + 2);
  });
});
