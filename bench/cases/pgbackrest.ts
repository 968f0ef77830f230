/**
 * The pgBackRest peer (issues 14 and 15): a full backup of the whole bench cluster into a posix repository, zst and
 * lz4, with and without `aes-256-cbc`, and a restore of it into a fresh data folder timed until the restored server
 * accepts connections; interleaved, repetition by repetition, with the plain `pg_dump -Fc -f` and `pg_restore` of
 * the main database they are compared with.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../src/core/free-port.js';
import { withClient } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import type { BenchContext } from '../context.js';
import { dropDatabasesLike } from '../databases.js';
import { assertSucceeded, type MeasuredRun } from '../measure.js';
import { summarize } from '../stats.js';
import type { Samples } from '../types.js';
import { plainDump, plainRestore } from './plain-commands.js';
import {
  asOwner,
  pgbackrest,
  pgBackRestMissing,
  pgBackRestVersion,
  setUpStanza,
  type Stanza,
} from './pgbackrest-stanza.js';

interface Variant {
  id: string;
  repo: 1 | 2;
  compress: 'zst' | 'lz4';
}

const VARIANTS: Variant[] = [
  { id: 'zst', repo: 1, compress: 'zst' },
  { id: 'lz4', repo: 1, compress: 'lz4' },
  { id: 'zst+aes', repo: 2, compress: 'zst' },
  { id: 'lz4+aes', repo: 2, compress: 'lz4' },
];

export interface PeerLine {
  id: string;
  backup: Samples;
  restore: Samples;
}

export type PgBackRestOutcome =
  | { notMeasured: string }
  | { version: string; processMax: number; clusterBytes: number; dump: Samples; restore: Samples; lines: PeerLine[] };

/** `pgbackrest restore` into a fresh folder, then the server started on it until it accepts connections. */
async function restoreAndStart(stanza: Stanza, variant: Variant, dataDir: string): Promise<MeasuredRun> {
  const port = await freeLoopbackPort();
  const socketDir = join(stanza.dir, 'restore');
  // Positional parameters, not string splicing: no path is ever parsed by the shell.
  const script =
    'pgbackrest --config="$1" --stanza=bench --repo="$2" --pg1-path="$3" --type=immediate --target-action=promote restore' +
    ' && "$4" start -D "$3" -l "$3.log" -w -t 600 -s -o "-p $5 -k $6 -c archive_mode=off"';
  const run = await asOwner(stanza, '/bin/sh', [
    '-c',
    script,
    'sh',
    stanza.configFile,
    String(variant.repo),
    dataDir,
    stanza.pgCtl,
    String(port),
    socketDir,
  ]);
  assertSucceeded(run, `pgbackrest restore (${variant.id}) and start`);
  return run;
}

async function removeRestored(stanza: Stanza, dataDir: string): Promise<void> {
  await asOwner(stanza, stanza.pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-s']);
  await rm(dataDir, { recursive: true, force: true });
  await rm(`${dataDir}.log`, { force: true });
}

async function clusterBytes(ctx: BenchContext): Promise<number> {
  return withClient(parseConnectionString(ctx.dbs.stack.cluster.url('postgres')), async (client) => {
    const { rows } = await client.query<{ s: string }>('SELECT sum(pg_database_size(datname)) AS s FROM pg_database');
    return Number(rows[0]?.s ?? 0);
  });
}

async function oneRepetition(
  ctx: BenchContext,
  stanza: Stanza,
  i: number,
  runs: Map<string, MeasuredRun[]>,
): Promise<void> {
  const push = (key: string, run: MeasuredRun) => runs.set(key, [...(runs.get(key) ?? []), run]);
  const file = join(ctx.dbs.workDir, 'pgbackrest-baseline.dump');
  const dump = await plainDump(ctx, ctx.dbs.main.url, file);
  push('dump', dump.run);
  const restored = await plainRestore(ctx, file, 'bench_plain_pgbr', 1);
  push('restore', restored);
  await dropDatabasesLike(ctx.dbs.stack, 'bench_plain_pgbr');
  ctx.say(`  #${i} pg_dump -Fc ${dump.run.seconds.toFixed(1)} s, pg_restore ${restored.seconds.toFixed(1)} s`);
  for (const variant of VARIANTS) {
    const backup = await pgbackrest(stanza, [
      'backup',
      '--type=full',
      `--repo=${variant.repo}`,
      `--compress-type=${variant.compress}`,
    ]);
    push(`backup ${variant.id}`, backup);
    const dataDir = join(stanza.dir, 'restore', `data-${variant.id.replace('+', '-')}`);
    try {
      push(`restore ${variant.id}`, await restoreAndStart(stanza, variant, dataDir));
    } finally {
      await removeRestored(stanza, dataDir);
    }
    const last = (key: string) => runs.get(key)?.at(-1)?.seconds.toFixed(1) ?? '-';
    ctx.say(
      `  #${i} pgBackRest ${variant.id}: backup ${last(`backup ${variant.id}`)} s, restore to accepting connections ${last(`restore ${variant.id}`)} s`,
    );
  }
}

export async function measurePgBackRest(ctx: BenchContext): Promise<PgBackRestOutcome> {
  const missing = pgBackRestMissing();
  if (missing) {
    ctx.say(`  ${missing}`);
    return { notMeasured: missing };
  }
  try {
    const stanza = await setUpStanza(ctx);
    const runs = new Map<string, MeasuredRun[]>();
    for (let i = 1; i <= ctx.options.repetitions; i++) await oneRepetition(ctx, stanza, i, runs);
    const of = (key: string) => summarize(runs.get(key) ?? []);
    return {
      version: pgBackRestVersion(),
      processMax: stanza.processMax,
      clusterBytes: await clusterBytes(ctx),
      dump: of('dump'),
      restore: of('restore'),
      lines: VARIANTS.map((v) => ({ id: v.id, backup: of(`backup ${v.id}`), restore: of(`restore ${v.id}`) })),
    };
  } catch (error) {
    const message = (error as Error).message;
    ctx.errors.push(`pgbackrest: ${message}`);
    ctx.say(`  pgBackRest peer failed: ${message.split('\n')[0]}`);
    return { notMeasured: `the pgBackRest peer failed: ${message.split('\n')[0]}` };
  }
}

export function isPeerMeasured(
  outcome: PgBackRestOutcome,
): outcome is Exclude<PgBackRestOutcome, { notMeasured: string }> {
  return !('notMeasured' in outcome);
}
