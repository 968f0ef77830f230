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

function metricsOf(report: StatusReport): Metric[] {
  const f = report.figures;
  const backupTimes = [...one(f.backupLocal.at, { location: 'local' }), ...one(f.backupBucket?.at, { location: 'bucket' })];
  return [
    { name: 'status', help: 'state of obexal-runbook status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN', samples: one(PLUGIN_EXIT[report.state]) },
    { name: 'status_timestamp_seconds', help: 'when status last wrote this file', samples: one(report.checkedAt.getTime() / 1000) },
    { name: 'last_backup_timestamp_seconds', help: 'start of the newest verified backup (0: none)', samples: backupTimes },
    { name: 'backup_max_age_seconds', help: 'BACKUP_MAX_AGE: past it status warns, past twice it status is critical', samples: one(f.backupLocal.warnSeconds) },
    { name: 'last_drill_timestamp_seconds', help: 'end of the last passing drill (0: none)', samples: one(f.drill.at) },
    { name: 'drill_max_age_seconds', help: 'DRILL_MAX_AGE: past it status warns, past twice it status is critical', samples: one(f.drill.warnSeconds) },
    { name: 'dump_size_bytes', help: 'size of the newest verified dump as stored (encrypted)', samples: one(f.dumpSizeBytes) },
    { name: 'dump_duration_seconds', help: 'pg_dump to encrypted file, for the newest verified dump', samples: one(f.dumpDurationSeconds) },
    { name: 'backup_duration_seconds', help: 'the whole backup run, for the last successful backup', samples: one(f.backupDurationSeconds) },
    { name: 'drill_rto_seconds', help: 'RTO measured by the last passing drill', samples: one(f.rtoSeconds) },
    { name: 'rto_target_seconds', help: 'RTO_TARGET', samples: one(f.rtoTargetSeconds) },
    {
      name: 'last_run_success',
      help: 'outcome of the newest record of each runbook: 1 ok, 0 otherwise',
      samples: f.lastRuns.map((run) => ({ labels: { runbook: run.runbook }, value: run.outcome === 'ok' ? 1 : 0 })),
    },
    {
      name: 'last_run_timestamp_seconds',
      help: 'end of the newest record of each runbook',
      samples: f.lastRuns.map((run) => ({ labels: { runbook: run.runbook }, value: run.finishedAt.getTime() / 1000 })),
    },
    { name: 'key_era_register_present', help: 'a key-era register exists (bucket or BACKUP_DIR): 1, else 0', samples: one(f.keyEraRegister === undefined ? undefined : Number(f.keyEraRegister)) },
  ];
}

export function prometheusText(report: StatusReport): string {
  const lines: string[] = [];
  for (const metric of metricsOf(report)) {
    const name = `${PREFIX}${metric.name}`;
    lines.push(`# HELP ${name} ${metric.help}`, `# TYPE ${name} gauge`, ...metric.samples.map((sample) => sampleLine(name, sample)));
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
