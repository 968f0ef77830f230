/**
 * Progress of a dump. In bytes when the server reports its COPY progress (`pg_stat_progress_copy`, PostgreSQL 14
 * and later): the sizes of the tables finished, plus the share of the table being dumped (its rows copied against
 * the planner's row estimate, or its bytes copied when the table was never analysed), with a rate over the last
 * seconds and the time left at that rate. Otherwise by table, from `pg_dump --verbose` ("dumping contents of table
 * "public.users""), with an ETA from the sizes of the tables finished against the time they took.
 */
import type { ProgressUpdate } from '../engine/action.js';
import { RateWindow } from '../core/rate-window.js';
import type { CopySample } from '../pg/copy-progress.js';

const TABLE_LINE = /^pg_dump: dumping contents of table "(.+)"$/;

export class DumpProgress {
  private readonly totalBytes: number;
  private readonly totalTables: number;
  private readonly window = new RateWindow();
  private started: number | undefined;
  private current: string | undefined;
  private bytesDone = 0;
  /** Bytes of the current table done, by the server's COPY progress (never goes back). */
  private currentBytes = 0;
  private tablesStarted = 0;
  /** True once the server reported COPY progress: from then on every update is in bytes. */
  private inBytes = false;

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
    this.currentBytes = 0;
    this.tablesStarted += 1;
    this.report(this.inBytes ? this.bytesUpdate(time) : this.tableUpdate(time));
    return true;
  }

  /** Feeds one reading of the server's COPY progress for this dump's pg_dump. */
  onCopy(samples: readonly CopySample[]): void {
    const table = this.current;
    if (table === undefined || this.totalBytes <= 0) return;
    // pg_dump copies one table at a time; a reading of the next table before its line arrived waits for the line.
    const sample = samples.find((s) => s.table === undefined || s.table === table);
    if (!sample) return;
    const size = this.relationBytes[table] ?? 0;
    const share = sample.reltuples > 0 ? sample.tuples / sample.reltuples : size > 0 ? sample.bytes / size : 0;
    this.currentBytes = Math.max(this.currentBytes, Math.round(Math.min(1, share) * size));
    this.inBytes = true;
    this.report(this.bytesUpdate(this.now()));
  }

  private tableUpdate(time: number): ProgressUpdate {
    const update: ProgressUpdate = {
      done: this.tablesStarted - 1,
      total: Math.max(this.totalTables, this.tablesStarted),
      unit: 'tables',
      label: `dumping ${this.current ?? ''}`,
    };
    const eta = this.etaMs(time);
    if (eta !== undefined) update.etaMs = eta;
    return update;
  }

  private bytesUpdate(time: number): ProgressUpdate {
    const done = this.bytesDone + this.currentBytes;
    const total = Math.max(this.totalBytes, done);
    this.window.add(time, done);
    const update: ProgressUpdate = { done, total, unit: 'bytes', label: `dumping ${this.current ?? ''}` };
    const rate = this.window.perSecond();
    if (rate !== undefined) update.ratePerSecond = Math.round(rate);
    const eta = this.window.etaMs(total);
    if (eta !== undefined) update.etaMs = eta;
    return update;
  }

  private etaMs(time: number): number | undefined {
    if (this.started === undefined || this.bytesDone <= 0 || this.totalBytes <= 0) return undefined;
    const elapsed = time - this.started;
    if (elapsed <= 0) return undefined;
    return Math.max(0, Math.round(((this.totalBytes - this.bytesDone) * elapsed) / this.bytesDone));
  }

  finish(): void {
    if (this.tablesStarted === 0) return;
    if (this.inBytes) {
      const total = Math.max(this.totalBytes, this.bytesDone + this.currentBytes);
      this.report({ done: total, total, unit: 'bytes', label: 'all tables dumped', etaMs: 0 });
      return;
    }
    this.report({
      done: this.tablesStarted,
      total: Math.max(this.totalTables, this.tablesStarted),
      unit: 'tables',
      label: 'all tables dumped',
      etaMs: 0,
    });
  }
}
