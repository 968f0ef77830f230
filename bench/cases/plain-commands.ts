/**
 * The plain commands a user would run instead (Obexal's own scripts): `pg_dump --format=custom -f file` and
 * `pg_restore -d db file`, the password through the environment (never on the command line).
 */
import { statSync } from 'node:fs';
import { withClient } from '../../src/pg/client.js';
import { childEnvFor, parseConnectionString } from '../../src/pg/target.js';
import type { BenchContext } from '../context.js';
import { assertSucceeded, runMeasured, type MeasuredRun } from '../measure.js';

/** `pg_dump --format=custom [-Z level] -f file` (no level: pg_dump's default, gzip 6, as Obexal's script). */
export async function plainDump(
  ctx: BenchContext,
  url: string,
  file: string,
  level?: number,
): Promise<{ run: MeasuredRun; bytes: number }> {
  const args = ['--format=custom', ...(level === undefined ? [] : [`--compress=${level}`]), '-f', file];
  const run = await runMeasured({ file: ctx.pgDump, args, env: childEnvFor(parseConnectionString(url)) });
  assertSucceeded(run, `pg_dump ${args.join(' ')}`);
  return { run, bytes: statSync(file).size };
}

export async function createEmptyDatabase(ctx: BenchContext, name: string): Promise<string> {
  await withClient(parseConnectionString(ctx.dbs.stack.cluster.url('postgres')), async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`);
  });
  return ctx.dbs.stack.cluster.url(name);
}

/** `pg_restore [-j jobs] -d <fresh database> file`. */
export async function plainRestore(
  ctx: BenchContext,
  file: string,
  database: string,
  jobs: number,
): Promise<MeasuredRun> {
  const url = await createEmptyDatabase(ctx, database);
  const args = [...(jobs > 1 ? [`--jobs=${jobs}`] : []), `--dbname=${database}`, file];
  const run = await runMeasured({ file: ctx.pgRestore, args, env: childEnvFor(parseConnectionString(url)) });
  assertSucceeded(run, `pg_restore ${args.join(' ')}`);
  return run;
}
