/** `status --json`: the same findings as one JSON document (for scripts; the plugin text is for monitoring). */
import { itemLine, perfData } from './plugin-output.js';
import { PLUGIN_EXIT, type AgeFigure, type StatusReport, type WalArchiveFigures } from './types.js';

const iso = (epochSeconds: number | undefined): string | null | undefined =>
  epochSeconds === undefined ? undefined : epochSeconds === 0 ? null : new Date(epochSeconds * 1000).toISOString();

/** Undefined becomes null: a reader sees every field, known or not. */
function walArchiveJson(wal: WalArchiveFigures): Record<string, unknown> {
  return {
    archiveMode: wal.archiveMode ?? null,
    lagSeconds: wal.lagSeconds ?? null,
    pendingSegments: wal.pendingSegments ?? null,
    maxLagSeconds: wal.maxLagSeconds,
    lastArchivedWal: wal.lastArchivedWal ?? null,
    lastArchivedAt: iso(wal.lastArchivedAt) ?? null,
    failing: wal.failing ?? null,
    failedCount: wal.failedCount ?? null,
    lastFailedWal: wal.lastFailedWal ?? null,
    lastFailedAt: iso(wal.lastFailedAt) ?? null,
  };
}

export const STATUS_SCHEMA = 'obexal-runbook-status@v1';

export function statusJson(report: StatusReport, extra: { prometheusFile?: string } = {}): Record<string, unknown> {
  const f = report.figures;
  const age = (figure: AgeFigure | undefined) =>
    figure && {
      ageSeconds: figure.seconds ?? null,
      at: iso(figure.at) ?? null,
      warnSeconds: figure.warnSeconds,
      critSeconds: figure.critSeconds,
    };
  const lastRuns = f.lastRuns.map((run) => ({
    ...run,
    finishedAt: run.finishedAt.toISOString(),
    exitCode: run.exitCode ?? null,
    durationMs: run.durationMs ?? null,
  }));
  return {
    schema: STATUS_SCHEMA,
    state: report.state,
    exitCode: PLUGIN_EXIT[report.state],
    checkedAt: report.checkedAt.toISOString(),
    items: report.items.map((item) => ({ ...item, line: itemLine(item) })),
    figures: {
      backupLocal: age(f.backupLocal),
      backupBucket: age(f.backupBucket) ?? null,
      drill: age(f.drill),
      dumpSizeBytes: f.dumpSizeBytes ?? null,
      dumpDurationSeconds: f.dumpDurationSeconds ?? null,
      backupDurationSeconds: f.backupDurationSeconds ?? null,
      rtoSeconds: f.rtoSeconds ?? null,
      rtoTargetSeconds: f.rtoTargetSeconds ?? null,
      keyEraRegister: f.keyEraRegister ?? null,
      walArchive: f.walArchive ? walArchiveJson(f.walArchive) : null,
      physicalBackup: age(f.physicalBackup) ?? null,
      lastRuns,
    },
    perfdata: perfData(report).map((d) => ({ ...d, value: d.value ?? null })),
    ...(extra.prometheusFile ? { prometheusFile: extra.prometheusFile } : {}),
  };
}
