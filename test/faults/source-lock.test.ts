/**
 * One lock per source database, whatever BACKUP_DIR each run uses (issue 17, items 3, 6 and 12): a backup is held
 * inside its dump by a gated pg_dump, and meanwhile a restore and a backup of the same database from other
 * BACKUP_DIRs wait for it, saying who holds the lock, and end at once on SIGTERM or SIGINT with the target
 * untouched. Killed with SIGKILL, the backup leaves its `.partial`; the next run takes the lock over from the dead
 * process and removes that file at once.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';
import { databasesLike, privateTmp, tableChecksums } from '../restore/fixture.js';
import { rotatedSource, type RotatedSource } from '../restore/rotated-source.js';
import { gatedPgDump, killGroup, startCli, waitForFile, type Started } from './helpers.js';

const cluster = await withCluster();

/** How long a process may take to end after SIGTERM or SIGINT during the lock wait (it used to take 15 s). */
const ENDS_WITHIN_MS = 5_000;

describe('one lock per source database, whatever the BACKUP_DIR', () => {
  let source: RotatedSource;
  let dir: string;
  let gate: ReturnType<typeof gatedPgDump>;
  let running: Started;

  const backupEnv = (backupDir: string, extra: Record<string, string> = {}) => ({
    OBEXAL_RUNBOOK_CONFIG_DIR: source.home.env.OBEXAL_RUNBOOK_CONFIG_DIR,
    BACKUP_DIR: backupDir,
    DATABASE_URL: source.db.url,
    RETENTION_DAYS: '14',
    BACKUP_RECIPIENTS: source.identity.recipient,
    ENCRYPTION_KEY: source.keyB,
    ...extra,
  });
  const partials = (backupDir: string) => readdirSync(backupDir).filter((n) => n.endsWith('.partial'));

  before(async () => {
    source = await rotatedSource(cluster, { prefix: 'locks', users: 40, auditEvents: 200, dumpAgeMs: 60_000 });
    dir = tempDir('obexal-faults-lock-');
    mkdirSync(join(dir, 'bin'));
    gate = gatedPgDump(join(dir, 'bin'));
    running = startCli(
      ['backup', '--yes'],
      backupEnv(join(dir, 'backups-a'), { PATH: `${gate.binDir}:${process.env.PATH}` }),
    );
    await waitForFile(gate.started);
  });

  after(async () => {
    killGroup(running.child.pid);
    await running.ended(10_000);
    // The gated pg_dump runs in a process group of its own: let it go on (it then fails on its own) so none is left.
    writeFileSync(gate.go, '');
  });

  async function endedBy(run: Started, signal: NodeJS.Signals): Promise<number | undefined> {
    process.kill(run.child.pid!, signal);
    const code = await run.ended(ENDS_WITHIN_MS);
    if (code === undefined) killGroup(run.child.pid);
    return code;
  }

  it('a restore with another BACKUP_DIR waits for the running backup, names it, and SIGTERM ends it untouched', async () => {
    const before = await tableChecksums(source.db.url);
    const restore = startCli(['restore', source.dump.path], source.env({ TMPDIR: privateTmp() }));
    const output = await restore.waitFor(/waiting up to \S+ for the lock of \S+: held by pid \d+/);
    const holder = /held by pid (\d+) on host \S+ \((.*)\) since (\S+)/.exec(output);
    assert.ok(holder, output);
    assert.equal(Number(holder[1]), running.child.pid, 'the holder is the running backup');
    assert.match(holder[2] ?? '', /^backup of \S+ \(run \S+\)$/);
    assert.ok(!Number.isNaN(Date.parse(holder[3] ?? '')), 'since when');
    assert.equal(await endedBy(restore, 'SIGTERM'), 143, `ended by SIGTERM while waiting:\n${restore.output()}`);
    assert.deepEqual(await tableChecksums(source.db.url), before, 'the target is untouched');
    assert.deepEqual(await databasesLike(source.db.url, `${source.db.database}\\_\\_%`), []);
  });

  it('a backup with another BACKUP_DIR waits too, and Ctrl+C (SIGINT) ends it with nothing written', async () => {
    const backupDir = join(dir, 'backups-b');
    const backup = startCli(['backup', '--yes'], backupEnv(backupDir));
    await backup.waitFor(new RegExp(`held by pid ${running.child.pid} `));
    assert.equal(await endedBy(backup, 'SIGINT'), 130, `ended by SIGINT while waiting:\n${backup.output()}`);
    assert.deepEqual(existsSync(backupDir) ? readdirSync(backupDir).filter((n) => n.startsWith('obexal-')) : [], []);
  });

  it('SIGTERM during the lock wait ends the process at once, also with the same BACKUP_DIR (it used to take 15 s)', async () => {
    const backup = startCli(['backup', '--yes'], backupEnv(join(dir, 'backups-a')));
    await backup.waitFor(new RegExp(`held by pid ${running.child.pid} `));
    assert.equal(await endedBy(backup, 'SIGTERM'), 143, `ended by SIGTERM while waiting:\n${backup.output()}`);
    assert.match(backup.output(), /lock: INTERRUPTED/);
  });

  it("the killed backup's .partial is removed at once by the run that takes its lock over", async () => {
    const backupDir = join(dir, 'backups-a');
    assert.equal(partials(backupDir).length, 1, 'the held backup is writing its partial');
    killGroup(running.child.pid, 'SIGKILL');
    await running.ended(10_000);
    writeFileSync(gate.go, '');
    assert.equal(partials(backupDir).length, 1, 'SIGKILL leaves the partial behind');
    const next = await runCli(['backup', '--yes'], backupEnv(backupDir));
    const output = next.stdout + next.stderr;
    assert.equal(next.exitCode, 0, output);
    assert.match(output, new RegExp(`took over the lock of a dead process: pid ${running.child.pid} `));
    assert.match(
      output,
      /removed \S+\/obexal-\d{8}T\d{6}Z\.dump\.zst\.age\.partial, the unfinished dump of that dead run/,
    );
    assert.deepEqual(partials(backupDir), []);
  });
});
