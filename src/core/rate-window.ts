/**
 * A rate over the last seconds (a sliding window of samples) and the time left at that rate: a rate since the
 * start would still remember a slow first minute an hour later, and one between two samples jumps about.
 */
export interface RateSample {
  at: number;
  done: number;
}

export const RATE_WINDOW_MS = 10_000;

/** The samples with `sample` added, keeping one at or before the window's start so the window spans it all. */
export function addSample(samples: readonly RateSample[], sample: RateSample, windowMs = RATE_WINDOW_MS): RateSample[] {
  const next = [...samples, sample];
  while (next.length > 2 && (next[1] as RateSample).at <= sample.at - windowMs) next.shift();
  return next;
}

/** Units per second across the samples; undefined until two samples at least 500 ms apart. */
export function rateOf(samples: readonly RateSample[]): number | undefined {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.at - first.at < 500) return undefined;
  return Math.max(0, ((last.done - first.done) * 1000) / (last.at - first.at));
}

export class RateWindow {
  private samples: RateSample[] = [];

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  add(at: number, done: number): void {
    this.samples = addSample(this.samples, { at, done }, this.windowMs);
  }

  perSecond(): number | undefined {
    return rateOf(this.samples);
  }

  /** Milliseconds left to reach `total` at the window's rate; undefined when there is no rate yet. */
  etaMs(total: number): number | undefined {
    const rate = this.perSecond();
    const last = this.samples[this.samples.length - 1];
    if (rate === undefined || rate <= 0 || !last) return undefined;
    return Math.round((Math.max(0, total - last.done) * 1000) / rate);
  }
}
