/** The arithmetic of progress in bytes: the dump's bytes from COPY readings, the sliding rate, the lines drawn. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DumpProgress } from '../../src/backup/dump-progress.js';
import { RateWindow } from '../../src/core/rate-window.js';
import type { ProgressUpdate } from '../../src/engine/action.js';
import type { CopySample } from '../../src/pg/copy-progress.js';
import type { RunEvent } from '../../src/engine/events.js';
import { progressLineText, textReporter } from '../../src/report/text-reporter.js';
import { initialRunState, reduceRunEvent } from '../../src/ui/run-state.js';
import { formatProgress } from '../../src/ui/format.js';

const MB = 1024 * 1024;

function sample(table: string | undefined, tuples: number, reltuples: number, bytes = 0): CopySample {
  return { pid: 1, table, bytes, tuples, reltuples };
}

describe('dump progress in bytes', () => {
  it('adds the share of the table being dumped to the tables finished, with a rate and the time left', () => {
    const updates: ProgressUpdate[] = [];
    let now = 0;
    const progress = new DumpProgress(
      { 'public.a': 20 * MB, 'public.b': 80 * MB },
      (u) => updates.push(u),
      () => now,
    );
    progress.onLine('pg_dump: dumping contents of table "public.a"');
    assert.equal(updates[0]?.unit, 'tables', 'no COPY reading yet: by table');
    now = 1_000;
    progress.onCopy([sample('public.a', 500, 1_000)]);
    assert.deepEqual(updates[1], { done: 10 * MB, total: 100 * MB, unit: 'bytes', label: 'dumping public.a' });
    now = 2_000;
    progress.onCopy([sample('public.a', 1_000, 1_000)]);
    assert.equal(updates[2]?.done, 20 * MB);
    assert.equal(updates[2]?.ratePerSecond, 10 * MB, '10 MiB between the two readings 1 s apart');
    assert.equal(updates[2]?.etaMs, 8_000, '80 MiB left at 10 MiB/s');
    now = 2_500;
    progress.onLine('pg_dump: dumping contents of table "public.b"');
    assert.equal(updates[3]?.unit, 'bytes', 'once in bytes, table lines stay in bytes');
    assert.equal(updates[3]?.done, 20 * MB);
    assert.equal(updates[3]?.label, 'dumping public.b');
    now = 3_000;
    // A reading of another table (a line not read yet) is left for later; a share never goes back.
    progress.onCopy([sample('public.c', 10, 10)]);
    assert.equal(updates.length, 4);
    progress.onCopy([sample('public.b', 1_000, 4_000)]);
    progress.onCopy([sample('public.b', 900, 4_000)]);
    assert.equal(updates[4]?.done, 40 * MB);
    assert.equal(updates[5]?.done, 40 * MB);
    progress.finish();
    assert.deepEqual(updates[6], {
      done: 100 * MB,
      total: 100 * MB,
      unit: 'bytes',
      label: 'all tables dumped',
      etaMs: 0,
    });
  });

  it('uses the bytes copied for a table the planner never counted, capped at its size', () => {
    const updates: ProgressUpdate[] = [];
    const progress = new DumpProgress(
      { 'public.a': 1_000 },
      (u) => updates.push(u),
      () => 0,
    );
    progress.onLine('pg_dump: dumping contents of table "public.a"');
    progress.onCopy([sample('public.a', 10, -1, 400)]);
    progress.onCopy([sample(undefined, 20, -1, 5_000)]);
    assert.deepEqual(
      updates.slice(1).map((u) => [u.done, u.total]),
      [
        [400, 1_000],
        [1_000, 1_000],
      ],
    );
  });
});

describe('rate window', () => {
  it('measures over the last seconds only', () => {
    const window = new RateWindow(10_000);
    window.add(0, 0);
    assert.equal(window.perSecond(), undefined);
    window.add(1_000, 100);
    assert.equal(window.perSecond(), 100);
    for (let t = 2_000; t <= 30_000; t += 1_000) window.add(t, 100 + (t - 1_000) * 2); // 2 000 units/s from 1 s
    assert.equal(window.perSecond(), 2_000, 'the slow first second is out of the window');
    assert.equal(window.etaMs(58_100 + 20_000), 10_000);
  });
});

describe('progress lines', () => {
  const update = { done: 12 * MB, total: 80 * MB, unit: 'bytes', label: 'dumping public.users' };

  it('draws a bar with the rate and the time left in the TUI', () => {
    assert.equal(
      formatProgress({ ...update, ratePerSecond: 4 * MB, etaMs: 17_000 }, 1, 10),
      'dumping public.users  [██░░░░░░░░]  15%  12.0 MiB / 80.0 MiB  4.0 MiB/s  ETA 17s',
    );
    assert.equal(formatProgress({ done: 3 * MB, unit: 'bytes', ratePerSecond: MB }, 1), '3.0 MiB  1.0 MiB/s');
  });

  it('prints bytes, rate and time left in the headless line', () => {
    assert.equal(
      progressLineText({ ...update, ratePerSecond: 4 * MB, etaMs: 17_000 }),
      'dumping public.users: 12.0 MiB of 80.0 MiB (15%), 4.0 MiB/s, about 17.0s left',
    );
    assert.equal(progressLineText({ done: 3, total: 12, unit: 'tables' }), 'progress: 3 of 12 tables (25%)');
  });
});

describe('a transfer in bytes without a rate of its own', () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 11, 3, 2, 0, 0) + ms).toISOString();
  const upload = (ms: number, done: number, label = 'upload a.dump.age'): RunEvent => ({
    type: 'step-progress',
    runId: 'r',
    stepId: 'replicate',
    done,
    total: 100 * MB,
    unit: 'bytes',
    label,
    at: at(ms),
  });

  it('gets a rate measured from its updates in the TUI, measured again for another file', () => {
    let state = reduceRunEvent(initialRunState, {
      type: 'step-started',
      runId: 'r',
      stepId: 'replicate',
      title: 'Replicate',
      action: 'backup.replicate',
      index: 0,
      destructive: false,
      attempt: 1,
      at: at(0),
    });
    state = reduceRunEvent(state, upload(0, 0));
    assert.equal(state.current?.progress?.ratePerSecond, undefined, 'one update: no rate yet');
    state = reduceRunEvent(state, upload(2_000, 10 * MB));
    assert.equal(state.current?.progress?.ratePerSecond, 5 * MB);
    state = reduceRunEvent(state, upload(3_000, MB, 'upload b.dump.age'));
    assert.equal(state.current?.progress?.ratePerSecond, undefined, 'another file starts a new measure');
  });

  it('gets the rate since the previous line in the cron log, one line per 5 s at most', () => {
    const lines: string[] = [];
    const report = textReporter((l) => lines.push(l), { verbose: false });
    for (let s = 0; s <= 10; s++) report(upload(s * 1_000, s * 2 * MB));
    assert.deepEqual(
      lines.map((l) => l.replace(/^\S+ \[\] {3}/, '')),
      [
        'upload a.dump.age: 0 B of 100.0 MiB (0%)',
        'upload a.dump.age: 10.0 MiB of 100.0 MiB (10%), 2.0 MiB/s',
        'upload a.dump.age: 20.0 MiB of 100.0 MiB (20%), 2.0 MiB/s',
      ],
    );
  });
});
