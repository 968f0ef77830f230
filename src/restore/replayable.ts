/**
 * A stream read from its source once and replayed from memory to its later readers, within a byte budget. The
 * key-era step reads the dump's encrypted values up to three times (is there one at all, then every value under
 * the current key, then every value under the accepted keys): each read was a run of `pg_restore --data-only`
 * over the archive, which for a dump written through a pipe means a scan of the whole file. Past the budget
 * nothing more is kept and every later reader opens the source afresh, as before. Readers take turns (one
 * stream at a time); a reader that stops early leaves the source open for the next one, and `close()` ends it.
 */
export interface ReplayableOptions<T> {
  /** Bytes of memory the kept items may take (an estimate per item: `sizeOf`). */
  budgetBytes: number;
  sizeOf: (item: T) => number;
}

export class Replayable<T> {
  private readonly kept: T[] = [];
  private keptBytes = 0;
  private source: AsyncIterator<T> | undefined;
  private sourceDone = false;
  /** Past the budget, or after a failed source: nothing is replayed, every reader opens the source. */
  private overBudget = false;
  private readonly open: () => AsyncIterable<T>;
  private readonly options: ReplayableOptions<T>;
  /** How many times the source was opened (for the tests and the journal). */
  opened = 0;

  constructor(open: () => AsyncIterable<T>, options: ReplayableOptions<T>) {
    this.open = open;
    this.options = options;
  }

  private priming: Promise<void> | undefined;

  /**
   * Opens the source and keeps its first item, while the caller does something else (the key era reads its
   * register meanwhile). A failure is not reported here: the first reading meets it again.
   */
  prime(): void {
    if (this.priming || this.opened > 0) return;
    this.priming = (async () => {
      for await (const item of this.read()) if (item !== undefined) break;
    })().catch(() => undefined);
  }

  /** A fresh reading of every item, from memory as far as it was kept, then from the source. */
  stream(): AsyncIterable<T> {
    return this.read(true);
  }

  private async *read(afterPriming = false): AsyncGenerator<T> {
    // Readers take turns: the priming's pull must be over before a reader pulls.
    if (afterPriming) await this.priming;
    if (this.overBudget) {
      this.opened += 1;
      yield* this.open();
      return;
    }
    let index = 0;
    for (;;) {
      if (index < this.kept.length) {
        yield this.kept[index++] as T;
        continue;
      }
      if (this.sourceDone) return;
      if (!this.source) {
        this.opened += 1;
        this.source = this.open()[Symbol.asyncIterator]();
      }
      const next = await this.nextFromSource(this.source);
      if (next.done) {
        this.sourceDone = true;
        this.source = undefined;
        return;
      }
      this.keptBytes += this.options.sizeOf(next.value);
      if (this.keptBytes > this.options.budgetBytes) {
        yield* this.continueUnkept(next.value);
        return;
      }
      this.kept.push(next.value);
      index += 1;
      yield next.value;
    }
  }

  /** A source that fails is not replayed: what was kept from it is dropped and later readers open anew. */
  private async nextFromSource(source: AsyncIterator<T>): Promise<IteratorResult<T>> {
    try {
      return await source.next();
    } catch (error) {
      this.source = undefined;
      this.overBudget = true;
      this.kept.length = 0;
      throw error;
    }
  }

  /** Past the budget: this reader goes on from the source without keeping anything; later readers open anew. */
  private async *continueUnkept(current: T): AsyncGenerator<T> {
    this.overBudget = true;
    this.kept.length = 0;
    const source = this.source as AsyncIterator<T>;
    this.source = undefined;
    try {
      yield current;
      for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
    } finally {
      await source.return?.();
    }
  }

  /** Ends a source left open by a reader that stopped early (its process, for a dump). */
  async close(): Promise<void> {
    await this.priming;
    const source = this.source;
    this.source = undefined;
    await source?.return?.();
  }
}
