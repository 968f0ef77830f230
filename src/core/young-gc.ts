/**
 * A minor garbage collection every 4 MiB streamed (issue 14: a peak RSS that does not grow with the database).
 * Every chunk a stream reads or makes (from a pipe, a socket, a cipher) is a Buffer whose bytes live outside V8's
 * heap behind a wrapper of a hundred bytes: the wrappers hardly fill the young generation, so V8 left tens of MB of
 * dead chunks waiting for its external-memory limit, and glibc kept the pages they had used (the backup's copy read
 * back peaked with 70 MB of ArrayBuffers). A scavenge of the 2 MiB young generation costs well under a millisecond.
 * `gc` exists only with `--expose-gc` (the executable's shebang); elsewhere (tests through tsx) this does nothing.
 */
/** 4 MiB: measured against 2 and 8 on the backup's pipeline with zstd (docs/perf-rss.md). */
export const YOUNG_GC_EVERY_BYTES = 4 * 1024 * 1024;

type Collect = (options: { type: 'minor' | 'major'; execution?: 'sync' }) => void;
const collect = (globalThis as { gc?: Collect }).gc;
let streamed = 0;

/** Counts bytes that went through a stream of the process; collects the young generation every 4 MiB. */
export function noteStreamed(bytes: number): void {
  if (collect === undefined) return;
  streamed += bytes;
  if (streamed < YOUNG_GC_EVERY_BYTES) return;
  streamed = 0;
  collect({ type: 'minor' });
}

/**
 * A full collection once a long streamed pass has ended (the restore's decryption): the pass's chunks that a
 * scavenge promoted while they were in flight (10-20 MiB of ArrayBuffers at the end of a 400 MB pass) wait for
 * an old-generation collection, which the next steps (the key era, pg_restore's output) did not trigger before
 * their own allocations had grown the process. Tens of milliseconds, once per pass.
 */
export function collectAfterPass(): void {
  streamed = 0;
  collect?.({ type: 'major', execution: 'sync' });
}
