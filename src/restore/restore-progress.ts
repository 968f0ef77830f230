/**
 * Progress of a pg_restore. While the data is loaded and the server reports its COPY progress
 * (`pg_stat_progress_copy`, PostgreSQL 14 and later): in rows, against the rows the manifest counted in the
 * dump's snapshot, with the table being loaded, a rate over the last seconds and the time left for the data.
 * Otherwise, and for what comes after the data (indexes, constraints), by pg_restore's items, weighted by the
 * rows of their table for the ETA so that a big table's data weighs what it costs.
 */
import { RateWindow } from '../core/rate-window.js';
import type { ProgressUpdate } from '../engine/action.js';
import type { CopySample } from '../pg/copy-progress.js';
import { tableKey, tableKeyCandidates, tableLabel } from '../pg/ident.js';

const DATA_TABLE = /^(?:"?([^".]+)"?\.)?"?([^"]+)"?$/;
const SERIAL_DATA = /^data for table "(.*)"$/;
const PARALLEL_DATA = /^TABLE DATA (.*)$/;

export interface RestoreProgressOptions {
  totalItems: number;
  rowCounts: Readonly<Record<string, number>>;
}

/** Counts items; each update's ETA weighs an item by the rows of its table. */
function itemCounter(options: RestoreProgressOptions, started: number): (what: string, time: number) => ProgressUpdate {
  const weightOfTable = (name: string) => 1 + (options.rowCounts[name] ?? 0) / 500;
  const totalWeight =
    Math.max(1, options.totalItems) + Object.values(options.rowCounts).reduce((a, b) => a + b / 500, 0);
  let items = 0;
  let weight = 0;
  return (what, time) => {
    items += 1;
    const data = /^(?:data for table |TABLE DATA )(.*)$/.exec(what);
    const table = data ? DATA_TABLE.exec((data[1] as string).trim())?.[2] : undefined;
    weight += table ? weightOfTable(table) : 1;
    const elapsed = time - started;
    const etaMs =
      weight > 0 && elapsed > 1000 ? Math.round((elapsed * Math.max(0, totalWeight - weight)) / weight) : undefined;
    return {
      done: Math.min(items, options.totalItems),
      total: options.totalItems,
      unit: 'items',
      label: `pg_restore: ${what.slice(0, 80)}`,
      ...(etaMs !== undefined ? { etaMs } : {}),
    };
  };
}

export class RestoreProgress {
  private readonly totalRows: number;
  private readonly rows = new Map<string, number>();
  /** Tables in the last COPY reading: one missing from the next has finished. */
  private active = new Set<string>();
  /** `schema.name` as pg_restore's lines print it, and the bare name of its "finished item" lines → table key. */
  private readonly byPrinted = new Map<string, string>();
  private readonly window = new RateWindow();
  private readonly items: (what: string, time: number) => ProgressUpdate;
  /** The data item of a serial restore still loading (the next item line means it is done). */
  private loading: string | undefined;
  private label = 'restoring the data';
  private inRows = false;

  constructor(
    private readonly options: RestoreProgressOptions,
    private readonly report: (update: ProgressUpdate) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.totalRows = Object.values(options.rowCounts).reduce((a, b) => a + b, 0);
    this.items = itemCounter(options, now());
    for (const key of Object.keys(options.rowCounts)) {
      for (const ref of tableKeyCandidates(key)) {
        this.byPrinted.set(`${ref.schema}.${ref.name}`, key);
        this.byPrinted.set(ref.name, key);
      }
    }
  }

  /** One item of pg_restore's --verbose output: `data for table "public.users"`, `TABLE DATA users`, … */
  onItem(what: string): void {
    const time = this.now();
    if (this.loading !== undefined) this.finishTable(this.loading);
    this.loading = undefined;
    const serial = SERIAL_DATA.exec(what);
    const parallel = PARALLEL_DATA.exec(what);
    if (serial) this.loading = this.byPrinted.get(serial[1] as string);
    else if (parallel) {
      const key = this.byPrinted.get(parallel[1] as string);
      if (key !== undefined) this.finishTable(key);
    }
    const update = this.items(what, time);
    this.report(this.loadingData() ? this.rowsUpdate(time) : update);
  }

  /** One reading of the server's COPY progress for this pg_restore's connections. */
  onCopy(samples: readonly CopySample[]): void {
    const seen = new Set<string>();
    for (const sample of samples) {
      if (!sample.relation) continue;
      const key = tableKey(sample.relation);
      const count = this.options.rowCounts[key];
      if (count === undefined) continue;
      seen.add(key);
      this.rows.set(key, Math.max(this.rows.get(key) ?? 0, Math.min(count, sample.tuples)));
      this.label = `restoring ${tableLabel(sample.relation)}`;
    }
    for (const key of this.active) if (!seen.has(key)) this.finishTable(key);
    this.active = seen;
    if (seen.size === 0 || this.totalRows <= 0) return;
    this.inRows = true;
    this.report(this.rowsUpdate(this.now()));
  }

  private finishTable(key: string): void {
    const count = this.options.rowCounts[key];
    if (count !== undefined) this.rows.set(key, count);
  }

  private rowsDone(): number {
    let done = 0;
    for (const rows of this.rows.values()) done += rows;
    return done;
  }

  /** True while the rows are what to show: COPY readings came, and not every row is in yet. */
  private loadingData(): boolean {
    return this.inRows && this.rowsDone() < this.totalRows;
  }

  private rowsUpdate(time: number): ProgressUpdate {
    const done = this.rowsDone();
    this.window.add(time, done);
    const update: ProgressUpdate = { done, total: this.totalRows, unit: 'rows', label: this.label };
    const rate = this.window.perSecond();
    if (rate !== undefined) update.ratePerSecond = Math.round(rate);
    const eta = this.window.etaMs(this.totalRows);
    if (eta !== undefined) update.etaMs = eta;
    return update;
  }
}
