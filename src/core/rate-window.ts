/**
 * A rate over the last seconds (a sliding window of samples) and the time left at that rate: a rate since the
 * start would still remember a slow first minute an hour later, and one between two samples jumps about.
 */
export interface RateSample {
  at: number;
  done: number;
}

export class RateWindow {
  private readonly samples: RateSample[] = [];

  constructor(private readonly windowMs = 10_000) {}

  add(at: number, done: number): void {
    this.samples.push({ at, done });
    // Keep one sample at or before the window's start, so that the window spans the whole period.
    while (this.samples.length > 2 && (this.samples[1] as RateSample).at <= at - this.windowMs) this.samples.shift();
  }

  /** Units per second across the window; undefined until two samples at least 500 ms apart. */
  perSecond(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 500) return undefined;
    return Math.max(0, ((last.done - first.done) * 1000) / (last.at - first.at));
  }

  /** Milliseconds left to reach `total` at the window's rate; undefined when there is no rate yet. */
  etaMs(total: number): number | undefined {
    const rate = this.perSecond();
    const last = this.samples[this.samples.length - 1];
    if (rate === undefined || rate <= 0 || !last) return undefined;
    return Math.round((Math.max(0, total - last.done) * 1000) / rate);
  }
}
