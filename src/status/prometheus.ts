/**
 * `status --prometheus FILE`: the figures in the Prometheus text exposition format, for node_exporter's textfile
 * collector. Written atomically (a temporary file in the same folder, not ending in `.prom`, then a rename), so
 * the collector never reads half a file. 0644: metrics only, no secret, no path, no message text.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PLUGIN_EXIT, type StatusReport } from './types.js';

interface Sample {
  labels?: Record<string, string>;
  value: number;
}

interface Metric {
  name: string;
  help: string;
  samples: Sample[];
}

const PREFIX = 'obexal_runbook_';

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function sampleLine(name: string, sample: Sample): string {
  const labels = Object.entries(sample.labels ?? {}).map(([key, value]) => `${key}="${escapeLabel(value)}"`);
  const value = Number.isFinite(sample.value) ? String(sample.value) : 'NaN';
  return `${name}${labels.length ? `{${labels.join(',')}}` : ''} ${value}`;
}

const one = (value: number | undefined, labels?: Record<string, string>): Sample[] =>
  value === undefined ? [] : [{ value, ...(labels ? { labels } : {}) }];

const gauge = (name: string, help: string, samples: Sample[]): Metric => ({ name, help, samples });

const STATUS_HELP = 'state of obexal-runbook status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN';
const WARN_CRIT = 'past it status warns, past twice it status is critical';

function metricsOf(report: StatusReport): Metric[] {
  const f = report.figures;
  const backupTimes = [
    ...one(f.backupLocal.at, { location: 'local' }),
    ...one(f.backupBucket?.at, { location: 'bucket' }),
  ];
  const perRunbook = (value: (run: (typeof f.lastRuns)[number]) => number): Sample[] =>
    f.lastRuns.map((run) => ({ labels: { runbook: run.runbook }, value: value(run) }));
  const register = f.keyEraRegister === undefined ? undefined : Number(f.keyEraRegister);
  const successes = perRunbook((run) => Number(run.outcome === 'ok'));
  const endTimes = perRunbook((run) => run.finishedAt.getTime() / 1000);
  return [
    gauge('status', STATUS_HELP, one(PLUGIN_EXIT[report.state])),
    gauge('status_timestamp_seconds', 'when status last wrote this file', one(report.checkedAt.getTime() / 1000)),
    gauge('last_backup_timestamp_seconds', 'start of the newest verified backup (0: none)', backupTimes),
    gauge('backup_max_age_seconds', `BACKUP_MAX_AGE: ${WARN_CRIT}`, one(f.backupLocal.warnSeconds)),
    gauge('last_drill_timestamp_seconds', 'end of the last passing drill (0: none)', one(f.drill.at)),
    gauge('drill_max_age_seconds', `DRILL_MAX_AGE: ${WARN_CRIT}`, one(f.drill.warnSeconds)),
    gauge('dump_size_bytes', 'size of the newest verified dump as stored (encrypted)', one(f.dumpSizeBytes)),
    gauge('dump_duration_seconds', 'pg_dump to encrypted file, newest verified dump', one(f.dumpDurationSeconds)),
    gauge('backup_duration_seconds', 'the whole backup run, last successful backup', one(f.backupDurationSeconds)),
    gauge('drill_rto_seconds', 'RTO measured by the last passing drill', one(f.rtoSeconds)),
    gauge('rto_target_seconds', 'RTO_TARGET', one(f.rtoTargetSeconds)),
    gauge('last_run_success', 'newest record of each runbook: 1 ok, 0 otherwise', successes),
    gauge('last_run_timestamp_seconds', 'end of the newest record of each runbook', endTimes),
    gauge('key_era_register_present', 'a key-era register exists (bucket or BACKUP_DIR): 1, else 0', one(register)),
    ...pitrMetrics(report),
  ];
}

/** Only what was checked: no DATABASE_URL, no WAL metrics; no physical backup expected, no such metric. */
function pitrMetrics(report: StatusReport): Metric[] {
  const { walArchive: wal, physicalBackup } = report.figures;
  const metrics: Metric[] = [];
  if (wal) {
    const failing = wal.failing === undefined ? undefined : Number(wal.failing);
    const archiveOn = wal.archiveMode === undefined ? undefined : Number(wal.archiveMode !== 'off');
    metrics.push(
      gauge('wal_archive_mode_on', 'archive_mode of DATABASE_URL is on or always: 1, off: 0', one(archiveOn)),
      gauge('wal_archive_failing', "archive_command's last failure is newer than its last success: 1", one(failing)),
      gauge(
        'wal_archive_lag_seconds',
        'age of the last archived WAL segment while segments wait (0: none)',
        one(wal.lagSeconds),
      ),
      gauge('wal_pending_segments', 'complete WAL segments not archived yet', one(wal.pendingSegments)),
      gauge('wal_last_archived_timestamp_seconds', 'when the last WAL segment was archived', one(wal.lastArchivedAt)),
      gauge('pitr_max_archive_lag_seconds', `PITR_MAX_ARCHIVE_LAG: ${WARN_CRIT}`, one(wal.maxLagSeconds)),
    );
  }
  if (physicalBackup) {
    metrics.push(
      gauge(
        'last_physical_backup_timestamp_seconds',
        'end of the last successful physical backup (0: none)',
        one(physicalBackup.at),
      ),
    );
  }
  return metrics;
}

export function prometheusText(report: StatusReport): string {
  return render(metricsOf(report));
}

/** When status itself could not run: UNKNOWN, so that a stale file from an earlier run is not taken for news. */
export function unknownPrometheusText(now: Date): string {
  return render([
    gauge('status', STATUS_HELP, one(PLUGIN_EXIT.UNKNOWN)),
    gauge('status_timestamp_seconds', 'when status last wrote this file', one(now.getTime() / 1000)),
  ]);
}

function render(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const metric of metrics) {
    const name = `${PREFIX}${metric.name}`;
    lines.push(`# HELP ${name} ${metric.help}`, `# TYPE ${name} gauge`);
    lines.push(...metric.samples.map((sample) => sampleLine(name, sample)));
  }
  return `${lines.join('\n')}\n`;
}

export async function writePrometheusFile(file: string, text: string): Promise<void> {
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.chmod(0o644); // whatever the umask: node_exporter usually runs as another user
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
