/**
 * The cost of the restore's COPY progress watch (issue 14; docs/perf-restore-watch.md): pg_restore of one custom
 * dump into fresh databases, interleaved: plain `pg_restore` (plain), the tool's item progress without the watch
 * (nowatch), the tool's runPgRestore with it (watch). Wall time on a shared 2-core machine is mostly the others'
 * load, so each run also gives the CPU it cost: the cluster's processes (exited backends through the postmaster's
 * children time), pg_restore's own (under /usr/bin/time) and this node process's; and the time the run spends
 * around pg_restore (before it starts, after it exits: the watch's connection and stop).
 * `TSX_TSCONFIG_PATH=tsconfig.test.json node --import tsx bench/watch-cost.ts [--mb 400] [--reps 3] [--jobs 1,2]
 *  [--variants plain,nowatch,watch] [--bin /usr/lib/postgresql/15/bin]`
 */
import { execa } from 'execa';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startProcess } from '../src/core/exec.js';
import { withClient } from '../src/pg/client.js';
import { readCopyProgress } from '../src/pg/copy-progress.js';
import { startCluster } from '../src/pg/cluster.js';
import { createDatabase, dropDatabase } from '../src/pg/databases.js';
import { childEnvFor, parseConnectionString, type PgTarget } from '../src/pg/target.js';
import { compareRowCounts } from '../src/restore/checks.js';
import { runPgRestore } from '../src/restore/pg-restore-run.js';
import { RestoreProgress } from '../src/restore/restore-progress.js';
import { generateEncryptionKey, parseEncryptionKey } from '../src/keys/secret-value.js';
import { migrate } from '../src/sandbox/schema/migrate.js';
import { tableRowCounts } from '../src/sandbox/seed/row-counts.js';
import { seed } from '../src/sandbox/seed/seed.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '400' },
    reps: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '1,2' },
    variants: { type: 'string', default: 'plain,nowatch,watch' },
    bin: { type: 'string', default: '/usr/lib/postgresql/15/bin' },
    // after each restore, the copy step's exact row counts (compareRowCounts), timed apart
    count: { type: 'boolean', default: false },
  },
});
const realPgRestore = join(values.bin, 'pg_restore');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const TICK = 100; // USER_HZ
const SERIAL_ITEM = /^pg_restore: (?:creating|executing|processing data for table|processing item) (.*)$/;
const PARALLEL_DONE = /^pg_restore: finished item \d+ (.*)$/;

/** CPU seconds of every process of the cluster: live ones, and the exited backends the postmaster reaped. */
async function clusterCpu(postmaster: number): Promise<number> {
  let ticks = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(f[1]);
      if (Number(pid) === postmaster) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      else if (ppid === postmaster) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // the process ended between readdir and read: its time is in the postmaster's children time
    }
  }
  return ticks / TICK;
}

/** The cluster CPU the counts took (left out of the restore's). */
async function timeRowCounts(target: PgTarget, rowCounts: Record<string, number>): Promise<number> {
  const cpu0 = await clusterCpu(cluster.postmasterPid);
  const started = performance.now();
  const outcome = await withClient(target, (client) => compareRowCounts(client, rowCounts, 'exact'));
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await clusterCpu(cluster.postmasterPid)) - cpu0;
  console.log(`  row counts: ${seconds.toFixed(2)} s, cluster CPU ${cpu.toFixed(2)} s (${outcome.detail})`);
  return cpu;
}

const cluster = await startCluster();
const work = await mkdtemp(join(tmpdir(), 'watch-cost-'));
try {
  const srcUrl = await createDatabase(cluster, 'src');
  let t = performance.now();
  const rowCounts = await withClient(parseConnectionString(srcUrl), async (client) => {
    await migrate(client);
    await seed(client, {
      encryptionKey: parseEncryptionKey(generateEncryptionKey()),
      drill: { password: 'drill-password-1', totpSecret: 'JBSWY3DPEHPK3PXP' },
      size: { targetMb: Number(values.mb) },
    });
    await client.query('VACUUM ANALYZE');
    return tableRowCounts(client);
  });
  console.log(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`, rowCounts);
  const dump = join(work, 'db.dump');
  const src = parseConnectionString(srcUrl);
  t = performance.now();
  await execa(join(values.bin, 'pg_dump'), ['-Fc', '-f', dump, `--dbname=${src.database}`], {
    env: childEnvFor(src),
  });
  console.log(`dumped in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  // pg_restore under /usr/bin/time: its own CPU, whichever variant runs it
  const pgRestore = join(work, 'pg_restore');
  const timeFile = join(work, 'time.txt');
  await writeFile(pgRestore, `#!/bin/sh\nexec /usr/bin/time -f '%U %S %e' -o ${timeFile} ${realPgRestore} "$@"\n`);
  await chmod(pgRestore, 0o700);
  const list = await execa(pgRestore, ['-l', dump]);
  const totalItems = list.stdout.split('\n').filter((l) => l && !l.startsWith(';')).length;

  const results = new Map<string, number[]>();
  let n = 0;
  async function one(variant: string, jobs: number): Promise<void> {
    const name = `r${n++}`;
    const url = await createDatabase(cluster, name);
    const target = parseConnectionString(url);
    let updates = 0;
    const cpu0 = await clusterCpu(cluster.postmasterPid);
    const node0 = process.cpuUsage();
    const started = performance.now();
    const args = ['--exit-on-error', `--dbname=${target.database}`, ...(jobs > 1 ? [`--jobs=${jobs}`] : [])];
    if (variant === 'plain') {
      await execa(pgRestore, [...args, dump], { env: childEnvFor(target) });
    } else if (variant === 'nowatch') {
      const progress = new RestoreProgress({ totalItems, rowCounts }, () => updates++);
      const { done } = startProcess({
        file: pgRestore,
        args: ['--verbose', ...args, dump],
        env: childEnvFor(target),
        // the item lines pg-restore-run.ts routes to progress
        onLine: (line) => {
          const m = (jobs > 1 ? PARALLEL_DONE : SERIAL_ITEM).exec(line);
          if (m) progress.onItem(m[1] as string);
        },
      });
      const r = await done;
      if (r.exitCode !== 0) throw new Error(r.stderrTail.join('\n'));
    } else {
      await runPgRestore({
        program: pgRestore,
        file: dump,
        target,
        args: [],
        jobs,
        totalItems,
        rowCounts,
        signal: new AbortController().signal,
        onProgress: () => updates++,
        onLine: () => undefined,
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const nodeCpu = process.cpuUsage(node0);
    const countCpu = values.count ? await timeRowCounts(target, rowCounts) : 0;
    const node = (nodeCpu.user + nodeCpu.system) / 1e6;
    const [user, sys, elapsed] = (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1)!.split(' ').map(Number);
    const restore = (user as number) + (sys as number);
    // around pg_restore: what the tool adds before it starts and after it exits (the watch's start and stop)
    const around = seconds - (elapsed as number);
    await dropDatabase(cluster, name);
    await new Promise((r) => setTimeout(r, 300)); // the backends exit and are reaped (their time in the postmaster's)
    const server = (await clusterCpu(cluster.postmasterPid)) - cpu0 - countCpu;
    const key = `${variant} j${jobs}`;
    const total = server + restore + node;
    for (const [k, v] of [
      ['wall', seconds],
      ['server', server],
      ['pg_restore', restore],
      ['node', node],
      ['cpu', total],
      ['around', around],
    ] as const)
      results.set(`${key} ${k}`, [...(results.get(`${key} ${k}`) ?? []), v]);
    const load = (await readFile('/proc/loadavg', 'utf8')).split(' ')[0];
    console.log(
      `${key}: wall ${seconds.toFixed(2)} s, cpu server ${server.toFixed(2)} pg_restore ${restore.toFixed(2)} ` +
        `node ${node.toFixed(2)} total ${total.toFixed(2)}, around pg_restore ${around.toFixed(2)} s (${updates} updates, load ${load})`,
    );
  }

  // The poll alone, 300 times on one connection: node CPU and its backend's CPU per reading.
  await withClient(parseConnectionString(cluster.url('postgres')), async (client) => {
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const ticks = async () => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / TICK;
    };
    const target = { ...src, applicationName: 'obexal-runbook pg_restore 00000000' };
    await readCopyProgress(client, target);
    const b0 = await ticks();
    const n0 = process.cpuUsage();
    const w0 = performance.now();
    for (let i = 0; i < 300; i++) await readCopyProgress(client, target);
    const wall = (performance.now() - w0) / 300;
    const n = process.cpuUsage(n0);
    const backend = ((await ticks()) - b0) / 300;
    console.log(
      `one reading: ${wall.toFixed(2)} ms wall, node ${((n.user + n.system) / 1000 / 300).toFixed(2)} ms CPU, ` +
        `backend ${(backend * 1000).toFixed(2)} ms CPU`,
    );
  });
  const variants = values.variants.split(',');
  const jobsList = values.jobs.split(',').map(Number);
  for (let rep = 0; rep < Number(values.reps); rep++) {
    for (const jobs of jobsList) {
      // rotate the order each repetition so that no variant always runs first
      const order = variants.map((_, i) => variants[(i + rep) % variants.length] as string);
      for (const v of order) await one(v, jobs);
    }
  }
  for (const [key, xs] of results) {
    console.log(`${key}: median ${median(xs).toFixed(2)}  [${xs.map((x) => x.toFixed(2)).join(', ')}]`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
  await cluster.stop();
}
