/** noteStreamed collects the young generation once per 8 MiB streamed, and does nothing without `gc`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

const MiB = 1024 * 1024;

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
  it('asks for a minor collection each time 8 MiB more have streamed', async () => {
    const calls: string[] = [];
    const { noteStreamed } = await freshModule((options) => calls.push(options.type));
    for (let i = 0; i < 127; i++) noteStreamed(64 * 1024); // 127 chunks of 64 KiB: one short of 8 MiB
    assert.deepEqual(calls, []);
    noteStreamed(64 * 1024);
    assert.deepEqual(calls, ['minor']);
    noteStreamed(20 * MiB);
    noteStreamed(1);
    assert.deepEqual(calls, ['minor', 'minor']);
  });

  it('does nothing when the process has no gc (run without --expose-gc)', async () => {
    const { noteStreamed } = await freshModule(undefined);
    assert.doesNotThrow(() => noteStreamed(100 * MiB));
  });
});
