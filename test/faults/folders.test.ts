/**
 * BACKUP_DIR, RECORDS_DIR and the state folder must belong to the user who runs the tool (issue 17, item 4): a
 * folder of another user is refused with exit 2, naming its owner and mode and what to do, and is left as it was
 * (not chmod-ed, nothing written into it); a symlink is followed and the folder it leads to is checked the same
 * way. The tests run as root; the other user is `postgres`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { ageIdentity } from '../backup/helpers.js';

const cluster = await withCluster();
const otherUid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
const otherGid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
let db: SandboxDatabase;
let recipient: string;

before(async () => {
  db = await sandboxDatabase(cluster, { prefix: 'folders' });
  recipient = ageIdentity(testHome('obexal-faults-keys-').dir).recipient;
});

function home() {
  const h = testHome('obexal-faults-folders-');
  const env = {
    ...h.env,
    DATABASE_URL: db.url,
    BACKUP_RECIPIENTS: recipient,
    ENCRYPTION_KEY: db.encryptionKey,
    RETENTION_DAYS: '14',
  };
  return { dir: h.dir, env };
}

/** A folder owned by the other user, mode 0755. */
function othersFolder(path: string): string {
  mkdirSync(path, { mode: 0o755 });
  chmodSync(path, 0o755);
  chownSync(path, otherUid, otherGid);
  return path;
}

const mode = (path: string) => statSync(path).mode & 0o7777;

describe('folders owned by another user', () => {
  it('a BACKUP_DIR of another user: exit 2 naming owner and mode, left as it was', async () => {
    const h = home();
    const dir = othersFolder(join(h.dir, 'theirs'));
    const result = await runCli(['backup', '--yes'], { ...h.env, BACKUP_DIR: dir });
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `BACKUP_DIR ${dir} is owned by postgres \\(uid ${otherUid}\\), mode 0755, not by root \\(uid 0\\) who runs this`,
      ),
    );
    assert.match(result.stderr, /nothing was written/);
    assert.match(
      result.stderr,
      new RegExp(`what to do: point BACKUP_DIR at a folder of root \\(uid 0\\).*chown 0 ${dir}`),
    );
    assert.equal(mode(dir), 0o755, 'not chmod-ed');
    assert.equal(statSync(dir).uid, otherUid);
    assert.deepEqual(readdirSync(dir), [], 'nothing written into it');
  });

  it('a symlink to a folder of another user is followed and refused the same way', async () => {
    const h = home();
    const dir = othersFolder(join(h.dir, 'theirs'));
    const link = join(h.dir, 'link-to-theirs');
    symlinkSync(dir, link);
    const result = await runCli(['backup', '--yes'], { ...h.env, BACKUP_DIR: link });
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`BACKUP_DIR ${link} \\(through a symlink: the folder is ${dir}\\) is owned by postgres`),
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a symlink of another user, even to a folder of our own, is refused: its owner could repoint it', async () => {
    const h = home();
    const dir = join(h.dir, 'ours-behind-their-link');
    mkdirSync(dir, { mode: 0o700 });
    const link = join(h.dir, 'their-link');
    symlinkSync(dir, link);
    lchownSync(link, otherUid, otherGid);
    const result = await runCli(['backup', '--yes'], { ...h.env, BACKUP_DIR: link });
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`BACKUP_DIR ${link} is a symlink owned by postgres \\(uid ${otherUid}\\), not by root`),
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a symlink to a folder of our own is followed and used', async () => {
    const h = home();
    const dir = join(h.dir, 'ours');
    mkdirSync(dir, { mode: 0o700 });
    const link = join(h.dir, 'link-to-ours');
    symlinkSync(dir, link);
    const result = await runCli(['backup', '--yes'], { ...h.env, BACKUP_DIR: link });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.ok(readdirSync(dir).some((n) => /^obexal-\d{8}T\d{6}Z\.dump\.zst\.age$/.test(n)));
  });

  it('a RECORDS_DIR of another user: exit 2 before anything runs', async () => {
    const h = home();
    const records = othersFolder(join(h.dir, 'their-records'));
    const result = await runCli(['backup', '--yes'], { ...h.env, RECORDS_DIR: records });
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`RECORDS_DIR ${records} is owned by postgres \\(uid ${otherUid}\\), mode 0755`),
    );
    assert.deepEqual(readdirSync(records), []);
    assert.deepEqual(
      readdirSync(join(h.dir, 'backups')).filter((n) => n.startsWith('obexal-')),
      [],
      'no backup was made',
    );
  });

  it('a state folder of another user: exit 2 for any command', async () => {
    const h = home();
    const state = othersFolder(join(h.dir, 'their-state'));
    const result = await runCli(['runs', 'list'], { ...h.env, OBEXAL_RUNBOOK_CONFIG_DIR: state });
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`the state folder \\(OBEXAL_RUNBOOK_CONFIG_DIR\\) ${state} is owned by postgres`),
    );
    assert.deepEqual(readdirSync(state), [], 'no configuration file written into it');
  });
});
