import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile, mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { clearProgramCache, findProgram, parseVersionMajor, programMajor } from '../../src/pg/programs.js';

let scratch: string;

/** A stand-in program that prints a PostgreSQL version line, as the real ones do. */
async function fakeProgram(dir: string, name: string, version: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\necho "${name} (PostgreSQL) ${version}"\n`);
  await chmod(path, 0o755);
  return path;
}

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'obexal-test-programs-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('findProgram', () => {
  it('finds the real initdb and pg_dump of this machine, and reads their major', async () => {
    const initdb = await findProgram('initdb');
    const major = await programMajor(initdb);
    assert.ok(major >= 13, `initdb major ${major}`);
    const pgDump = await findProgram('pg_dump', { minMajor: major });
    assert.ok((await programMajor(pgDump)) >= major);
  });

  it('throws a UsageError saying what to install when neither PATH nor the folders have it', async () => {
    const empty = join(scratch, 'empty');
    await mkdir(empty);
    await assert.rejects(
      findProgram('pg_restore', { pathEnv: empty, installFolders: [join(scratch, 'missing-folder')] }),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, /pg_restore not found/);
        assert.match(error.hint ?? '', /install .*(apt-get install postgresql-client|dnf|apk|brew|package)/);
        return true;
      },
    );
  });

  it('picks the newest major first, and the one asked for with major', async () => {
    clearProgramCache();
    const old = await fakeProgram(join(scratch, 'on-path'), 'pg_restore', '14.9');
    const newer = await fakeProgram(join(scratch, 'folder-16'), 'pg_restore', '16.2 (Debian 16.2-1)');
    const options = { pathEnv: join(scratch, 'on-path'), installFolders: [join(scratch, 'folder-16')] };
    assert.equal(await findProgram('pg_restore', options), newer);
    assert.equal(await findProgram('pg_restore', { ...options, major: 14 }), old);
    await assert.rejects(findProgram('pg_restore', { ...options, major: 15 }), /found only major 16, 14/);
    await assert.rejects(
      findProgram('pg_restore', { ...options, pathEnv: join(scratch, 'on-path'), installFolders: [], minMajor: 15 }),
      UsageError,
    );
  });
  it("asks Debian's pg_wrapper its version only when no real program is found", async () => {
    clearProgramCache();
    const marker = join(scratch, 'wrapper-asked');
    const share = join(scratch, 'share');
    await mkdir(share, { recursive: true });
    const wrapper = join(share, 'pg_wrapper');
    await writeFile(wrapper, `#!/bin/sh\necho asked >> "${marker}"\necho "pg_restore (PostgreSQL) 15.4"\n`);
    await chmod(wrapper, 0o755);
    const onPath = join(scratch, 'wrapper-path');
    await mkdir(onPath, { recursive: true });
    await symlink(wrapper, join(onPath, 'pg_restore'));
    const real = await fakeProgram(join(scratch, 'lib', 'postgresql', '15', 'bin'), 'pg_restore', '15.4');
    const options = { pathEnv: onPath, installFolders: [join(scratch, 'lib', 'postgresql', '15', 'bin')] };
    assert.equal(await findProgram('pg_restore', options), real);
    assert.equal(existsSync(marker), false, 'the wrapper was not run');
    clearProgramCache();
    assert.equal(await findProgram('pg_restore', { pathEnv: onPath, installFolders: [] }), join(onPath, 'pg_restore'));
    assert.equal(existsSync(marker), true, 'the wrapper was asked when it is all there is');
  });
});

describe('parseVersionMajor', () => {
  it('reads the major of the --version line of every packaging', () => {
    assert.equal(parseVersionMajor('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n'), 15);
    assert.equal(parseVersionMajor('initdb (PostgreSQL) 17.0\n'), 17);
    assert.equal(parseVersionMajor('psql (PostgreSQL) 9.6.24\n'), 9);
    assert.equal(parseVersionMajor('something else 1.2\n'), undefined);
  });
});
