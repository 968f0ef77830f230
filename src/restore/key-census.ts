/**
 * Which of the keys held opens each encrypted value: counts per key and per column, the row keys of values no
 * key opens (ids only, for messages), and a bounded sample of the values the first key does not open (what a
 * candidate key for an older era is tried on).
 */
import { decryptSecret } from '../keys/secret-value.js';
import type { StoredValue } from './encrypted-values.js';

export const SAMPLE_LIMIT = 256;
const EXAMPLES_PER_COLUMN = 5;

export interface Census {
  total: number;
  /** Values opened by keys[i]. */
  perKey: number[];
  /** `table.column` → values no key opens. */
  unreadable: Record<string, number>;
  unreadableTotal: number;
  /** `table.column` → up to 5 row keys of unreadable values. */
  examples: Record<string, string[]>;
  /** Values keys[0] does not open (at most SAMPLE_LIMIT). */
  samples: StoredValue[];
  /** True when `samples` holds every value keys[0] does not open. */
  samplesComplete: boolean;
  /** `table.column` → number of values. */
  perColumn: Record<string, number>;
}

/** The index of the first key that opens `value`, or -1. */
export function keyIndexFor(value: string, keys: readonly Buffer[]): number {
  if (keys.length === 0) return -1;
  try {
    return decryptSecret(value, keys).keyIndex;
  } catch {
    return -1;
  }
}

export function countOpened(values: readonly StoredValue[], key: Buffer): number {
  return values.filter((v) => keyIndexFor(v.value, [key]) === 0).length;
}

export async function takeCensus(
  values: AsyncIterable<StoredValue>,
  keys: readonly Buffer[],
  onProgress?: (done: number) => void,
): Promise<Census> {
  const census: Census = {
    total: 0,
    perKey: keys.map(() => 0),
    unreadable: {},
    unreadableTotal: 0,
    examples: {},
    samples: [],
    samplesComplete: true,
    perColumn: {},
  };
  for await (const stored of values) {
    census.total += 1;
    const where = `${stored.table}.${stored.column}`;
    census.perColumn[where] = (census.perColumn[where] ?? 0) + 1;
    const index = keyIndexFor(stored.value, keys);
    if (index !== 0) {
      if (census.samples.length < SAMPLE_LIMIT) census.samples.push(stored);
      else census.samplesComplete = false;
    }
    if (index >= 0) census.perKey[index] = (census.perKey[index] ?? 0) + 1;
    else {
      census.unreadableTotal += 1;
      census.unreadable[where] = (census.unreadable[where] ?? 0) + 1;
      const examples = (census.examples[where] ??= []);
      if (examples.length < EXAMPLES_PER_COLUMN) examples.push(stored.key);
    }
    if (onProgress && census.total % 10_000 === 0) onProgress(census.total);
  }
  return census;
}

export function describeUnreadable(census: Census): string {
  return Object.entries(census.unreadable)
    .map(([where, count]) => `${where}: ${count} (e.g. ${(census.examples[where] ?? []).join(', ')})`)
    .join('; ');
}
