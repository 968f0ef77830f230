/** noteStreamed collects the young generation once per YOUNG_GC_EVERY_BYTES streamed, and does nothing without `gc`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { YOUNG_GC_EVERY_BYTES } from '../../src/core/young-gc.js';

/** A fresh copy of the module, imported while `gc` is the given function (it is read at import). */
async function freshModule(gc: ((options: { type: string }) => void) | undefined) {
  const holder = globalThis as { gc?: unknown };
  const saved = holder.gc;
  holder.gc = gc;
  try {
    return (await import(
      `../../src/core/young-gc.js?copy=${Math.random()}`
    )) as typeof import('../../src/core/young-gc.js');
  } finally {
    holder.gc = saved;
  }
}

describe('noteStreamed', () => {
  it('asks for a minor collection each time YOUNG_GC_EVERY_BYTES more have streamed', async () => {
    const calls: string[] = [];
    const { noteStreamed } = await freshModule((options) => calls.push(options.type));
    const chunk = 64 * 1024;
    for (let i = 1; i < YOUNG_GC_EVERY_BYTES / chunk; i++) noteStreamed(chunk); // one chunk short
    assert.deepEqual(calls, []);
    noteStreamed(chunk);
    assert.deepEqual(calls, ['minor']);
    noteStreamed(5 * YOUNG_GC_EVERY_BYTES);
    noteStreamed(1);
    assert.deepEqual(calls, ['minor', 'minor']);
  });

  it('does nothing when the process has no gc (run without --expose-gc)', async () => {
    const { noteStreamed } = await freshModule(undefined);
    assert.doesNotThrow(() => noteStreamed(100 * YOUNG_GC_EVERY_BYTES));
  });
});
