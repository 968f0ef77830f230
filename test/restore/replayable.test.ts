/** Replayable: the key-era step's readings of the dump's values share one pg_restore within a memory budget. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Replayable } from '../../src/restore/replayable.js';

/** A source of `n` numbers that counts its openings and closings. */
function counted(n: number, failAt?: number) {
  const state = { opened: 0, closed: 0, pulled: 0 };
  const open = () =>
    (async function* () {
      state.opened += 1;
      try {
        for (let i = 0; i < n; i += 1) {
          if (i === failAt) throw new Error(`source failed at ${i}`);
          state.pulled += 1;
          yield i;
        }
      } finally {
        state.closed += 1;
      }
    })();
  return { state, open };
}

async function all<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

async function first<T>(stream: AsyncIterable<T>): Promise<T | undefined> {
  for await (const item of stream) return item;
  return undefined;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Replayable', () => {
  it('a peek, then two full readings: the source is opened and read once', async () => {
    const { state, open } = counted(10);
    const replay = new Replayable(open, { budgetBytes: 1000, sizeOf: () => 10 });
    assert.equal(await first(replay.stream()), 0);
    assert.equal(state.closed, 0, 'the peek leaves the source open for the next reading');
    assert.deepEqual(await all(replay.stream()), range(10));
    assert.deepEqual(await all(replay.stream()), range(10));
    assert.equal(state.opened, 1);
    assert.equal(state.pulled, 10);
    assert.equal(state.closed, 1);
    assert.equal(replay.opened, 1);
    await replay.close();
  });

  it('past the budget every reading is whole and later ones open the source again', async () => {
    const { state, open } = counted(10);
    const replay = new Replayable(open, { budgetBytes: 35, sizeOf: () => 10 });
    assert.equal(await first(replay.stream()), 0);
    assert.deepEqual(await all(replay.stream()), range(10), 'the reading that crosses the budget is whole');
    assert.equal(state.opened, 1, 'the reading that crossed the budget went on from the open source');
    assert.equal(state.closed, 1);
    assert.deepEqual(await all(replay.stream()), range(10));
    assert.deepEqual(await all(replay.stream()), range(10));
    assert.equal(state.opened, 3);
    assert.equal(state.closed, 3);
  });

  it('close() ends a source left open by a reader that stopped early', async () => {
    const { state, open } = counted(10);
    const replay = new Replayable(open, { budgetBytes: 1000, sizeOf: () => 1 });
    await first(replay.stream());
    await replay.close();
    assert.equal(state.closed, 1);
    await replay.close();
    assert.equal(state.closed, 1, 'closing twice is harmless');
  });

  it('a failing source is not replayed: its error reaches the reader, the next reading opens it again', async () => {
    const { state, open } = counted(10, 4);
    const replay = new Replayable(open, { budgetBytes: 1000, sizeOf: () => 1 });
    await assert.rejects(all(replay.stream()), /source failed at 4/);
    await assert.rejects(all(replay.stream()), /source failed at 4/);
    assert.equal(state.opened, 2, 'no item of the failed reading is served again');
  });

  it('primed: the source opens before the first reading, which starts from the kept first item', async () => {
    const { state, open } = counted(10);
    const replay = new Replayable(open, { budgetBytes: 1000, sizeOf: () => 1 });
    replay.prime();
    replay.prime();
    assert.equal(state.opened, 1, 'priming opens the source at once');
    assert.equal(await first(replay.stream()), 0);
    assert.deepEqual(await all(replay.stream()), range(10));
    assert.equal(state.opened, 1);
    assert.equal(state.pulled, 10);
  });

  it('a primed source that fails: the reading meets the failure; close() after a priming is harmless', async () => {
    const { state, open } = counted(10, 0);
    const replay = new Replayable(open, { budgetBytes: 1000, sizeOf: () => 1 });
    replay.prime();
    await assert.rejects(all(replay.stream()), /source failed at 0/);
    await replay.close();
    assert.equal(state.opened, 2);
  });

  it('an empty source: every reading is empty, read once', async () => {
    const { state, open } = counted(0);
    const replay = new Replayable(open, { budgetBytes: 1000, sizeOf: () => 1 });
    assert.equal(await first(replay.stream()), undefined);
    assert.deepEqual(await all(replay.stream()), []);
    assert.equal(state.opened, 1);
  });
});
