/**
 * Progress of a dump by table, from `pg_dump --verbose` ("dumping contents of table "public.users""), with an
 * ETA from the tables' sizes: the bytes of the tables finished so far against the time they took.
 */
import type { ProgressUpdate } from '../engine/action.js';

const TABLE_LINE = /^pg_dump: dumping contents of table "(.+)"$/;

export class DumpProgress {
  private readonly totalBytes: number;
  private readonly totalTables: number;
  private started: number | undefined;
  private current: string | undefined;
  private bytesDone = 0;
  private tablesStarted = 0;

  constructor(
    private readonly relationBytes: Readonly<Record<string, number>>,
    private readonly report: (update: ProgressUpdate) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.totalTables = Object.keys(relationBytes).length;
    this.totalBytes = Object.values(relationBytes).reduce((a, b) => a + b, 0);
  }

  /** Feeds one stderr line; true when it was a table line (the caller keeps the others for the journal). */
  onLine(line: string): boolean {
    const match = TABLE_LINE.exec(line.trim());
    if (!match) return false;
    const table = match[1] as string;
    const time = this.now();
    this.started ??= time;
    if (this.current !== undefined) this.bytesDone += this.relationBytes[this.current] ?? 0;
    this.current = table;
    this.tablesStarted += 1;
    const update: ProgressUpdate = {
      done: this.tablesStarted - 1,
      total: Math.max(this.totalTables, this.tablesStarted),
      unit: 'tables',
      label: `dumping ${table}`,
    };
    const eta = this.etaMs(time);
    if (eta !== undefined) update.etaMs = eta;
    this.report(update);
    return true;
  }

  private etaMs(time: number): number | undefined {
    if (this.started === undefined || this.bytesDone <= 0 || this.totalBytes <= 0) return undefined;
    const elapsed = time - this.started;
    if (elapsed <= 0) return undefined;
    return Math.max(0, Math.round(((this.totalBytes - this.bytesDone) * elapsed) / this.bytesDone));
  }

  finish(): void {
    if (this.tablesStarted === 0) return;
    this.report({
      done: this.tablesStarted,
      total: Math.max(this.totalTables, this.tablesStarted),
      unit: 'tables',
      label: 'all tables dumped',
      etaMs: 0,
    });
  }
}
