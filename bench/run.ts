/**
 * `npm run bench`: obexal-runbook side by side with the plain commands a user would run instead, on the same
 * database in the same run (issue 8). Prints a table and writes the same figures as JSON under bench/results/.
 */
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { redact } from '../src/core/redact.js';
import { findProgram } from '../src/pg/programs.js';
import { measureBackup, type BackupOutcome } from './cases/backup.js';
import { measureCompression } from './cases/compression.js';
import { measureFormats } from './cases/formats.js';
import { measureDrill, type DrillOutcome } from './cases/drill.js';
import { measureEncryption } from './cases/encryption.js';
import { isPeerMeasured, measurePgBackRest } from './cases/pgbackrest.js';
import { pgBackRestMissing } from './cases/pgbackrest-stanza.js';
import { measureToolPitr, type ToolPitrOutcome } from './cases/pitr-tool.js';
import { measureReencrypt } from './cases/reencrypt.js';
import { measureRestores } from './cases/restore.js';
import { measureStartup } from './cases/startup.js';
import { wants, type BenchContext, type SizeTarget } from './context.js';
import { buildDatabases, SMALL_MB, TENTH_DATABASE, type BenchDatabases } from './databases.js';
import { describeMachine, loadAverages } from './machine.js';
import { killActiveRuns } from './measure.js';
import { parseOptions, USAGE } from './options.js';
import { renderTable, writeResult } from './report.js';
import { round } from './stats.js';
import { isSamples, judgeTargets } from './targets.js';
import { prepareTool } from './tool.js';
import type { BenchResult, Measured, MemoryRow, OperationResult, Samples } from './types.js';

const say = (line: string) => process.stdout.write(`${redact(line)}\n`);
/** Set on SIGINT/SIGTERM: the signal handler then owns the cleanup and the exit code. */
let interrupted = false;

function ratio(tool: Measured, baseline: Measured): number | undefined {
  return isSamples(tool) && isSamples(baseline) ? round(tool.seconds / baseline.seconds, 3) : undefined;
}

function operation(
  id: string,
  label: string,
  baselineLabel: string,
  baseline: Measured,
  toolLabel: string,
  tool: Measured,
): OperationResult {
  return { id, label, baselineLabel, toolLabel, baseline, tool, ratio: ratio(tool, baseline) };
}

function memoryRow(operationName: string, atSize: Measured | undefined, atTenth: Measured | undefined): MemoryRow {
  const row: MemoryRow = { operation: operationName };
  if (isSamples(atSize)) {
    row.atSizeBytes = atSize.toolTreePeakBytes;
    row.nodeAtSizeBytes = atSize.rootPeakBytes;
  }
  if (isSamples(atTenth)) {
    row.atTenthBytes = atTenth.toolTreePeakBytes;
    row.nodeAtTenthBytes = atTenth.rootPeakBytes;
  }
  if (row.atSizeBytes !== undefined && row.atTenthBytes)
    row.growth = round((row.atSizeBytes - row.atTenthBytes) / row.atTenthBytes, 4);
  if (row.atSizeBytes === undefined)
    row.notMeasured = atSize && 'notMeasured' in atSize ? atSize.notMeasured : 'not run';
  return row;
}

/** The 20 MB database's backup and restore, against pg_dump and pg_restore, for the fixed costs. */
async function runSmall(ctx: BenchContext, result: BenchResult): Promise<void> {
  const small = ctx.dbs.small;
  if (!small) {
    ctx.say(`\nsmall case: the main database is already ${ctx.options.sizeMb} MB, its lines are the small ones`);
    return;
  }
  const dir = join(ctx.dbs.stack.dir, 'backups-small');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target: SizeTarget = {
    label: 'small',
    database: small.name,
    url: small.url,
    backupDir: dir,
    s3Prefix: 'obexal-small/',
  };
  ctx.say(`\nbackup and restore at ${SMALL_MB} MB (fixed costs)`);
  const backup = await measureBackup(ctx, target, true);
  const label = `${SMALL_MB} MB`;
  result.operations.push(
    operation(
      'backup-small',
      `backup (${label})`,
      'pg_dump -Fc',
      backup.baseline ?? skipped,
      'obexal-runbook backup',
      backup.tool,
    ),
  );
  if (!backup.plainFile) return;
  const { plain, tool } = await measureRestores(ctx, target, backup.plainFile, backup.toolDump?.name, [1]);
  result.operations.push(
    operation('restore-small', `restore (${label})`, 'pg_restore (1 job)', plain[0]!, 'obexal-runbook restore', tool),
  );
}

async function sizeTargets(dbs: BenchDatabases): Promise<{ size: SizeTarget; tenth: SizeTarget }> {
  const tenthDir = join(dbs.stack.dir, 'backups-tenth');
  await mkdir(tenthDir, { recursive: true, mode: 0o700 });
  return {
    size: {
      label: 'size',
      database: dbs.main.name,
      url: dbs.main.url,
      backupDir: dbs.stack.env.BACKUP_DIR!,
      s3Prefix: dbs.stack.env.S3_PREFIX ?? 'obexal/',
    },
    tenth: {
      label: 'tenth',
      database: TENTH_DATABASE,
      url: dbs.tenth.url,
      backupDir: tenthDir,
      s3Prefix: 'obexal-tenth/',
    },
  };
}

const skipped: Measured = { notMeasured: 'case not selected (--only)' };

async function runCases(ctx: BenchContext, result: BenchResult): Promise<void> {
  const { size, tenth } = await sizeTargets(ctx.dbs);
  const sizeMb = ctx.options.sizeMb;
  if (wants(ctx, 'startup')) {
    say('\nstart-up (fixed cost)');
    result.startup = await measureStartup(ctx);
  }
  let backup: BackupOutcome | undefined;
  if (wants(ctx, 'backup') || wants(ctx, 'restore') || wants(ctx, 'drill')) {
    say(`\nbackup at ${sizeMb} MB`);
    backup = await measureBackup(ctx, size, true);
    result.operations.push(
      operation(
        'backup',
        `backup (${sizeMb} MB)`,
        'pg_dump -Fc',
        backup.baseline ?? skipped,
        'obexal-runbook backup',
        backup.tool,
      ),
    );
  }
  if (wants(ctx, 'compression')) {
    say('\ncompression levels');
    result.compression = await measureCompression(ctx);
  }
  if (wants(ctx, 'formats')) {
    say('\ndump formats (custom against directory + tar, through age)');
    result.formats = await measureFormats(ctx);
  }
  let restoreTool: Measured = skipped;
  if (wants(ctx, 'restore') && backup?.plainFile) {
    say(`\nrestore at ${sizeMb} MB`);
    // As many jobs as the tool's restore takes for a large archive (src/restore/pg-restore-run.ts: up to 4).
    const jobs = Math.max(2, Math.min(4, availableParallelism()));
    const restores = await measureRestores(ctx, size, backup.plainFile, backup.toolDump?.name, [1, jobs]);
    const [single, parallel] = restores.plain as [Samples, Samples];
    restoreTool = restores.tool;
    result.operations.push(
      operation(
        'restore',
        `restore (${sizeMb} MB)`,
        'pg_restore (1 job)',
        single,
        'obexal-runbook restore',
        restoreTool,
      ),
    );
    result.operations.push(
      operation(
        `restore-j${jobs}`,
        `restore (${sizeMb} MB)`,
        `pg_restore -j ${jobs}`,
        parallel,
        'obexal-runbook restore',
        restoreTool,
      ),
    );
  }
  let drill: DrillOutcome | undefined;
  if (wants(ctx, 'drill') && backup) {
    say(`\ndrill at ${sizeMb} MB`);
    drill = await measureDrill(ctx, size);
    if (drill.rtoSeconds !== undefined && isSamples(drill.tool)) {
      result.drill = {
        rtoSeconds: drill.rtoSeconds,
        samples: drill.rtoSamples ?? [],
        steps: drill.tool.steps ?? {},
        peak: drill.tool,
      };
    } else {
      result.drill = {
        notMeasured: 'notMeasured' in drill.tool ? drill.tool.notMeasured : 'the drill record held no RTO',
      };
    }
  }
  let tenthBackup: BackupOutcome | undefined;
  let tenthRestore: Measured | undefined;
  let tenthDrill: DrillOutcome | undefined;
  if (wants(ctx, 'tenth')) {
    say(`\nbackup, restore and drill at ${sizeMb / 10} MB (memory at a tenth of the size)`);
    tenthBackup = await measureBackup(ctx, tenth, true);
    result.operations.push(
      operation(
        'backup-tenth',
        `backup (${sizeMb / 10} MB)`,
        'pg_dump -Fc',
        tenthBackup.baseline ?? skipped,
        'obexal-runbook backup',
        tenthBackup.tool,
      ),
    );
    if (tenthBackup.plainFile) {
      const restores = await measureRestores(ctx, tenth, tenthBackup.plainFile, tenthBackup.toolDump?.name, [1]);
      const single = restores.plain[0]!;
      tenthRestore = restores.tool;
      result.operations.push(
        operation(
          'restore-tenth',
          `restore (${sizeMb / 10} MB)`,
          'pg_restore (1 job)',
          single,
          'obexal-runbook restore',
          tenthRestore,
        ),
      );
    }
    tenthDrill = await measureDrill(ctx, tenth);
  }
  if (wants(ctx, 'small')) await runSmall(ctx, result);
  result.memory = [
    memoryRow('backup', backup?.tool, tenthBackup?.tool),
    memoryRow('restore', restoreTool, tenthRestore),
    memoryRow('drill', drill?.tool, tenthDrill?.tool),
  ];
  if (wants(ctx, 'reencrypt')) {
    say('\nreencrypt-secrets');
    result.reencrypt = await measureReencrypt(ctx);
  }
  if (wants(ctx, 'encryption')) {
    say('\nage encryption throughput');
    result.encryption = await measureEncryption(ctx);
  }
  // Last: it turns WAL archiving on, which restarts the cluster.
  if (wants(ctx, 'pgbackrest')) await runPeer(ctx, result, size);
}

async function runPeer(ctx: BenchContext, result: BenchResult, size: SizeTarget): Promise<void> {
  let own: ToolPitrOutcome | undefined;
  // Before the peer: pitr-setup points archive_command at the tool's repository, the peer then at its own.
  if (!pgBackRestMissing()) {
    say('\nobexal-runbook backup --physical and restore --to latest (S3 over HTTPS)');
    own = await measureToolPitr(ctx, size);
  }
  say('\npgBackRest peer (whole cluster, posix repository)');
  const peer = await measurePgBackRest(ctx);
  await own?.stopRepository();
  if (own) {
    const sizeMb = ctx.options.sizeMb;
    const dumpBaseline = isPeerMeasured(peer) ? peer.dump : { notMeasured: 'the peer case measures the baselines' };
    const restoreBaseline = isPeerMeasured(peer) ? peer.restore : dumpBaseline;
    result.operations.push(
      operation(
        'backup-physical',
        `backup --physical (${sizeMb} MB db)`,
        'pg_dump -Fc',
        dumpBaseline,
        'obexal-runbook backup --physical',
        own.backup,
      ),
    );
    result.operations.push(
      operation(
        'restore-pitr',
        `restore --to latest (${sizeMb} MB db)`,
        'pg_restore (1 job)',
        restoreBaseline,
        'obexal-runbook restore --to latest',
        own.restore,
      ),
    );
  }
  if (!isPeerMeasured(peer)) {
    result.pgbackrest = peer;
    return;
  }
  const { lines, dump, restore, ...about } = peer;
  result.pgbackrest = about;
  for (const line of lines) {
    result.operations.push(
      operation(
        `pgbackrest-backup-${line.id}`,
        `pgBackRest full ${line.id} (cluster)`,
        'pg_dump -Fc',
        dump,
        `pgBackRest full ${line.id}`,
        line.backup,
      ),
    );
    result.operations.push(
      operation(
        `pgbackrest-restore-${line.id}`,
        `pgBackRest restore ${line.id} (cluster)`,
        'pg_restore (1 job)',
        restore,
        `pgBackRest restore ${line.id} + start`,
        line.restore,
      ),
    );
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env);
  if (options === 'help') {
    say(USAGE);
    return 0;
  }
  const started = performance.now();
  const startedAt = new Date().toISOString();
  say(`obexal-runbook benchmark: ${options.sizeMb} MB, ${options.repetitions} repetition(s), medians reported`);
  const tool = await prepareTool(options.build, say, options.toolNodeOptions);
  const wanted = (name: string) => !options.only || options.only.has(name);
  const dbs = await buildDatabases(options.sizeMb, say, wanted('reencrypt'), wanted('small'));
  // One removal of the stack, whether main's `finally` or the signal handler asks first.
  let stackStopped: Promise<void> | undefined;
  const stopStack = () => (stackStopped ??= dbs.stack.stop());
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    say(`\n${signal}: stopping the measured run and removing the practice stack…`);
    void killActiveRuns()
      .then(stopStack)
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const major = dbs.stack.cluster.major;
    const pgDump = await findProgram('pg_dump', { minMajor: major });
    const pgRestore = await findProgram('pg_restore', { minMajor: major });
    const ctx: BenchContext = { options, dbs, tool, pgDump, pgRestore, say, errors: [] };
    const result: BenchResult = {
      schema: 'obexal-runbook-bench/v1',
      startedAt,
      finishedAt: '',
      durationSeconds: 0,
      options: { sizeMb: options.sizeMb, repetitions: options.repetitions },
      machine: await describeMachine(dbs.main.url, pgDump, pgRestore),
      tool: {
        version: tool.version,
        ranFrom: tool.ranFrom,
        ...(tool.note ? { note: tool.note } : {}),
        ...(tool.idleRssBytes !== undefined ? { idleRssBytes: tool.idleRssBytes } : {}),
        ...(tool.idleRssDistBytes !== undefined ? { idleRssDistBytes: tool.idleRssDistBytes } : {}),
        ...(tool.nodeOptions ? { nodeOptions: tool.nodeOptions } : {}),
      },
      databases: [dbs.main, dbs.tenth, ...(dbs.small ? [dbs.small] : [])].map(({ url: _url, ...info }) => info),
      operations: [],
      startup: { notMeasured: 'case not selected' },
      compression: { notMeasured: 'case not selected' },
      formats: { notMeasured: 'case not selected' },
      encryption: { notMeasured: 'case not selected' },
      reencrypt: { notMeasured: 'case not selected' },
      drill: { notMeasured: 'case not selected' },
      pgbackrest: { notMeasured: 'case not selected' },
      memory: [],
      targets: [],
      errors: ctx.errors,
    };
    if (dbs.secrets) {
      result.databases.push({
        name: 'bench_secrets',
        targetMb: 0,
        bytes: 0,
        rowCounts: { encryptedValues: dbs.secrets.values },
        seedSeconds: dbs.secrets.seedSeconds,
      });
    }
    await runCases(ctx, result);
    result.machine.loadAverageAtEnd = loadAverages();
    result.targets = judgeTargets(result);
    result.finishedAt = new Date().toISOString();
    result.durationSeconds = round((performance.now() - started) / 1000, 1);
    say(`\n${renderTable(result)}\n`);
    const file = await writeResult(result, options.resultsDir);
    say(
      `written ${file} (${result.durationSeconds} s in all; load average ${JSON.stringify(result.machine.loadAverageAtStart)} at the start, ${JSON.stringify(result.machine.loadAverageAtEnd)} at the end on ${String(result.machine.cores)} cores)`,
    );
    if (ctx.errors.length > 0) say(`${ctx.errors.length} problem(s) during the run: see "errors" in the JSON`);
    return 0;
  } finally {
    await stopStack();
  }
}

main().then(
  (code) => {
    if (!interrupted) process.exit(code);
  },
  (error: unknown) => {
    if (interrupted) return; // the signal handler removes the stack and exits
    process.stderr.write(`bench failed: ${redact(error instanceof Error ? error.message : String(error))}\n`);
    process.exit(1);
  },
);
