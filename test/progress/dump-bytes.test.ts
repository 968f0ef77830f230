/**
 * Progress in bytes on a real cluster: a headless backup (the real executable, --json) of a seeded database with
 * a table big enough to take a few readings of the server's COPY progress reports the dump in bytes before it ends.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { withClient } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { runCli } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase } from '../helpers/sandbox-db.js';
import { ageIdentity, backupHome, removeTempDirs, tempDir } from '../backup/helpers.js';

const cluster = await withCluster();
after(() => removeTempDirs());

interface Event {
  type: string;
  stepId?: string;
  done?: number;
  total?: number;
  unit?: string;
  label?: string;
  ratePerSecond?: number;
}

it('the dump step reports bytes done of the total, with the table being dumped, before it ends', async () => {
  const db = await sandboxDatabase(cluster, { prefix: 'progress_src' });
  await withClient(parseConnectionString(db.url), async (client) => {
    await client.query(
      `CREATE TABLE public.progress_filler AS
         SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS payload FROM generate_series(1, 1500000) g`,
    );
    await client.query('ANALYZE public.progress_filler');
  });
  const identity = ageIdentity(tempDir('obexal-progress-keys-'));
  const home = backupHome(db.url, identity.recipient, { ENCRYPTION_KEY: db.encryptionKey });
  const result = await runCli(['backup', '--yes', '--json'], home.env, { timeoutMs: 300_000 });
  assert.equal(result.exitCode, 0, result.stderr);
  const events = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Event);
  const finished = events.findIndex((e) => e.type === 'step-finished' && e.stepId === 'dump');
  assert.ok(finished > 0, 'the dump step finished');
  const inBytes = events
    .slice(0, finished)
    .filter((e) => e.type === 'step-progress' && e.stepId === 'dump' && e.unit === 'bytes');
  const during = inBytes.filter((e) => e.label !== 'all tables dumped');
  assert.ok(during.length >= 1, `at least one update in bytes while dumping: ${JSON.stringify(inBytes)}`);
  for (const e of during) {
    assert.ok((e.done ?? 0) > 0 && (e.done ?? 0) <= (e.total ?? 0), JSON.stringify(e));
    assert.match(e.label ?? '', /^dumping public\./);
  }
  assert.ok(
    during.some((e) => e.label === 'dumping public.progress_filler'),
    'the big table is named while it is dumped',
  );
});
