/**
 * `status` as a monitoring plugin speaks (monitoring-plugins development guidelines): the first line
 * `OBEXAL-RUNBOOK <STATE> - <summary> | <perfdata>`, then one line per item (the long text). Performance data
 * is `'label'=value[UOM];warn;crit;min;max`, with `U` for a value that could not be determined.
 */
import type { AgeFigure, StatusItem, StatusReport } from './types.js';

export interface PerfDatum {
  label: string;
  /** Undefined: `U` (none found, or it could not be checked). */
  value: number | undefined;
  uom: 's' | 'B' | '';
  warn?: number | undefined;
  crit?: number | undefined;
  min?: number | undefined;
  max?: number | undefined;
}

const number = (value: number | undefined): string =>
  value === undefined ? '' : String(Math.round(value * 1000) / 1000);

export function formatPerfDatum(datum: PerfDatum): string {
  const value = datum.value === undefined ? 'U' : `${number(datum.value)}${datum.uom}`;
  const thresholds = [datum.warn, datum.crit, datum.min, datum.max].map(number).join(';');
  return `'${datum.label}'=${value};${thresholds}`;
}

function ageDatum(label: string, figure: AgeFigure): PerfDatum {
  return { label, value: figure.seconds, uom: 's', warn: figure.warnSeconds, crit: figure.critSeconds, min: 0 };
}

export function perfData(report: StatusReport): PerfDatum[] {
  const f = report.figures;
  const data = [ageDatum('backup_local_age', f.backupLocal)];
  if (f.backupBucket) data.push(ageDatum('backup_bucket_age', f.backupBucket));
  data.push(
    ageDatum('drill_age', f.drill),
    { label: 'dump_size', value: f.dumpSizeBytes, uom: 'B', min: 0 },
    { label: 'dump_duration', value: f.dumpDurationSeconds, uom: 's', min: 0 },
    { label: 'backup_duration', value: f.backupDurationSeconds, uom: 's', min: 0 },
    { label: 'rto', value: f.rtoSeconds, uom: 's', warn: f.rtoTargetSeconds, min: 0 },
  );
  const wal = f.walArchive;
  if (wal) {
    const [warn, crit] = [wal.maxLagSeconds, 2 * wal.maxLagSeconds];
    data.push({ label: 'wal_archive_lag', value: wal.lagSeconds, uom: 's', warn, crit, min: 0 });
    data.push({ label: 'wal_pending', value: wal.pendingSegments, uom: '', min: 0 });
  }
  if (f.physicalBackup) data.push(ageDatum('physical_backup_age', f.physicalBackup));
  return data;
}

/** A `|` in a message would end the text and start performance data. */
const plain = (text: string): string => text.replace(/\|/g, '/').replace(/[\r\n]+/g, ' ');

export function itemLine(item: StatusItem): string {
  const word = item.word ? ` ${item.word}` : '';
  return plain(`${item.label}: ${item.text}${word}${item.detail ? ` - ${item.detail}` : ''}`);
}

const AGE_KEYS = ['backup_local', 'backup_bucket', 'drill', 'physical_backup'];
const SEVERITY_ORDER = ['CRITICAL', 'WARNING', 'UNKNOWN'] as const;

function summary(report: StatusReport): string {
  if (report.state === 'OK') {
    const ages = report.items.filter((item) => item.state === 'OK' && AGE_KEYS.includes(item.key));
    const withoutLimit = (text: string) => text.replace(/ \(limit [^)]*\)$/, '');
    return ages.map((item) => `${item.label} ${withoutLimit(item.text)}`).join(', ') || 'nothing to report';
  }
  const problems = SEVERITY_ORDER.flatMap((state) => report.items.filter((item) => item.state === state));
  return problems.map((item) => `${item.label}: ${item.text}${item.word ? ` ${item.word}` : ''}`).join('; ');
}

export function pluginText(report: StatusReport): string {
  const perf = perfData(report).map(formatPerfDatum).join(' ');
  const first = `OBEXAL-RUNBOOK ${report.state} - ${plain(summary(report))} | ${perf}`;
  return [first, ...report.items.map(itemLine)].join('\n');
}

/** When status itself could not run (a limit that is not a duration, BACKUP_DIR unset): UNKNOWN, and why. */
export function unknownText(message: string, hint: string | undefined): string {
  return [`OBEXAL-RUNBOOK UNKNOWN - ${plain(message)}`, ...(hint ? [plain(`what to do: ${hint}`)] : [])].join('\n');
}
