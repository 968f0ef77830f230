import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanOutputLines, formatBytes, formatDuration, formatElapsed, formatProgress } from '../../src/ui/format.js';
import { initialRunState, pendingSteps, reduceRunEvent } from '../../src/ui/run-state.js';
import { events, plannedStep } from './fake-engine.js';

test('durations: whole seconds for the ticking timer, the core format for finished steps', () => {
  assert.equal(formatElapsed(0), '0s');
  assert.equal(formatElapsed(42_900), '42s');
  assert.equal(formatElapsed(64_000), '1m 04s');
  assert.equal(formatElapsed(3_723_000), '1h 02m 03s');
  assert.equal(formatDuration(64_000), '1m 04s');
  assert.equal(formatDuration(850), '850ms');
});

test('bytes in binary units', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(267 * 1024 * 1024), '267.0 MiB');
});

test('progress: a bar with percent and ETA when the total is known, the amount otherwise', () => {
  const half = formatProgress({ done: 50, total: 100, unit: 'bytes' }, 10_000, 10);
  assert.equal(half, '[█████░░░░░]  50%  50 B / 100 B  ETA 10s');
  assert.equal(
    formatProgress({ done: 3, total: 12, unit: 'tables', etaMs: 90_000 }, 1, 4),
    '[█░░░]  25%  3 tables / 12 tables  ETA 1m 30s',
  );
  assert.equal(formatProgress({ done: 100, total: 100 }, 5_000, 4), '[████] 100%  100 / 100');
  assert.equal(formatProgress({ done: 2048, unit: 'bytes', label: 'upload' }, 1), 'upload  2.0 KiB');
});

test('child output is cleaned before it is drawn', () => {
  assert.deepEqual(cleanOutputLines('a\nb\n'), ['a', 'b']);
  assert.deepEqual(cleanOutputLines('\u001B[1;32mok\u001B[0m\tdone\r\n'), ['ok    done']);
  assert.deepEqual(cleanOutputLines(' 10%\r 50%\r100%'), ['100%']);
  assert.deepEqual(cleanOutputLines('\u001B]0;title\u0007bell\u0007'), ['bell']);
});

test('run state: a retried step, a skipped step without start, and pending steps', () => {
  const a = plannedStep('a', 'A');
  const b = plannedStep('b', 'B');
  const c = plannedStep('c', 'C');
  let state = reduceRunEvent(initialRunState, events.runStarted([a, b, c]));
  assert.deepEqual(
    pendingSteps(state).map((s) => s.id),
    ['a', 'b', 'c'],
  );
  state = reduceRunEvent(state, events.stepStarted(a, 0));
  state = reduceRunEvent(state, events.stepFinished('a', 'interrupted'));
  state = reduceRunEvent(state, events.stepStarted(a, 0, 2));
  assert.equal(state.current?.attempt, 2);
  assert.deepEqual(
    pendingSteps(state).map((s) => s.id),
    ['b', 'c'],
  );
  state = reduceRunEvent(state, events.stepFinished('a', 'ok'));
  state = reduceRunEvent(state, events.stepFinished('b', 'skipped'));
  assert.deepEqual(
    pendingSteps(state).map((s) => s.id),
    ['c'],
  );
  const keys = state.log.map((entry) => entry.key);
  assert.equal(new Set(keys).size, keys.length, 'every Static item has its own key');
});
