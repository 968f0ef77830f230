import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { mapLimited } from '../../src/core/map-limited.js';

test('mapLimited keeps the order of the items and never has more than `limit` calls in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const items = [30, 5, 20, 1, 15, 10, 2];
  const results = await mapLimited(items, 3, async (ms) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    await delay(ms);
    inFlight -= 1;
    return ms * 2;
  });
  assert.deepEqual(results, [60, 10, 40, 2, 30, 20, 4]);
  assert.equal(most, 3);
  assert.deepEqual(await mapLimited([], 3, () => Promise.resolve(1)), []);
});

test('mapLimited rejects with the first failure and starts nothing after it', async () => {
  const started: number[] = [];
  await assert.rejects(
    mapLimited([1, 2, 3, 4, 5], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('two failed');
      return n;
    }),
    /two failed/,
  );
  assert.deepEqual(started, [1, 2]);
});
