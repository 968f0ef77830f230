/**
 * The `pitr` practice scenario: the sandbox cluster archives its WAL to an HTTPS repository bucket through the real
 * `pitr-setup` runbook, an incremental physical backup follows, then a "bad migration" deletes every webhook. The
 * time just before it (whole seconds, UTC) is printed: `restore --to <that time>` brings the webhooks back.
 */
import { StepFailedError } from '../../core/errors.js';
import { connect } from '../../pg/client.js';
import { parseConnectionString } from '../../pg/target.js';
import { assertPitrProgramsInstalled, startPitrRepository } from './pitr-repository.js';
import { runTool, writeAnswers, type Context, type PreparedScenario } from './scenario-tool.js';

const pause = (ms: number) => new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
/** How long archiving of the last segment may take before the scenario gives up. */
const ARCHIVE_WAIT_MS = 60_000;

interface BadMigration {
  /** The time just before the bad migration, whole seconds (what an operator would type). */
  before: string;
  deleted: number;
}

/**
 * Records the time, deletes the webhooks a second and a half later, then switches WAL and waits until the segment
 * holding the deletion is archived: the repository then reaches past the printed time.
 */
async function runBadMigration(databaseUrl: string): Promise<BadMigration> {
  const client = await connect(parseConnectionString(databaseUrl));
  try {
    // After the physical backup's end by more than a second, so that the whole-second time lies inside the window.
    await pause(1500);
    const now = (await client.query<{ at: Date }>('SELECT clock_timestamp() AS at')).rows[0]!.at;
    const before = `${new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
    await pause(1500);
    const deleted = (await client.query('DELETE FROM webhooks')).rowCount ?? 0;
    const switchWal = 'SELECT pg_walfile_name(pg_switch_wal()) AS wal';
    const switched = (await client.query<{ wal: string }>(switchWal)).rows[0]!.wal;
    for (let waited = 0; waited < ARCHIVE_WAIT_MS; waited += 200) {
      const archived = 'SELECT last_archived_wal AS last FROM pg_stat_archiver';
      const last = (await client.query<{ last: string | null }>(archived)).rows[0]?.last;
      if (last && last >= switched) return { before, deleted };
      await pause(200);
    }
    throw new StepFailedError(
      `practice scenario pitr: the WAL segment ${switched} holding the bad migration was not archived` +
        ` within ${ARCHIVE_WAIT_MS / 1000} s`,
      'the sandbox was stopped and removed; `obexal-runbook status` on a sandbox of your own shows why archiving fails',
    );
  } finally {
    await client.end();
  }
}

export async function pitrScenario(ctx: Context): Promise<PreparedScenario> {
  await assertPitrProgramsInstalled();
  ctx.say('scenario pitr: starting the HTTPS repository bucket (a self-signed certificate for localhost)');
  const pitrEnv = await startPitrRepository(ctx.stack);
  ctx.say('scenario pitr: pitr-setup runbook (stanza configuration, archive_mode on through a restart, a full backup)');
  await runTool(ctx, 'the pitr-setup runbook', ['pitr-setup', '--yes'], { ...pitrEnv, CONFIRM: 'yes' });
  ctx.say('scenario pitr: an incremental physical backup (backup --physical)');
  const answers = await writeAnswers(ctx, 'scenario-physical-backup.yaml', { type: 'incr' });
  await runTool(ctx, 'the physical backup', ['backup', '--physical', '--yes', '--answers', answers], pitrEnv);
  ctx.say('scenario pitr: a bad migration deletes every webhook; its WAL is archived');
  const bad = await runBadMigration(ctx.stack.env.DATABASE_URL as string);
  return {
    name: 'pitr',
    env: { ...ctx.stack.env, ...pitrEnv },
    summary: [
      `scenario    pitr: WAL archived to ${pitrEnv.PITR_S3_ENDPOINT} (stanza ${pitrEnv.PITR_STANZA});` +
        ' a full and an incremental physical backup',
      `            bad migration after ${bad.before}: DELETE FROM webhooks (${bad.deleted} rows gone)`,
      `            try: CONFIRM=yes obexal-runbook restore --to ${bad.before}   (the time just before it)`,
    ],
  };
}
