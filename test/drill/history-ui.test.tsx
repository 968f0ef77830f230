/** @jsxRuntime automatic */
// The drill history in the TUI: the view the history step emits, folded by the tap, rendered by the panel.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { drillHistory } from '../../src/drill/history.js';
import { drillHistoryView, historySummaryLine, trendText } from '../../src/drill/history-view.js';
import type { RunEvent } from '../../src/engine/events.js';
import { DrillHistoryFooter, DrillHistoryPanel } from '../../src/ui/drill-history.js';
import { DrillHistoryTap } from '../../src/ui/drill-history-tap.js';
import { settle } from '../ui/wait.js';

afterEach(cleanup);

const record = (
  runId: string,
  finishedAt: string,
  rtoMs: number | null,
  outcome = 'ok',
  met: boolean | null = rtoMs === null ? null : true,
) => ({
  runbook: 'drill',
  runId,
  finishedAt,
  outcome,
  details: {
    drill: {
      rto: { ms: rtoMs, targetMs: 1_800_000, met },
      failedChecks: rtoMs === null ? ['login', 'mfa', 'me'] : [],
      dump: { name: 'd', ageAtRestoreMs: 6 * 3_600_000 },
    },
  },
});

const HISTORY = drillHistory([
  record('a', '2026-03-01T10:00:00.000Z', 600_000),
  record('b', '2026-06-01T10:00:00.000Z', null, 'failed'),
  record('c', '2026-09-01T10:00:00.000Z', 700_000),
  // Every check passed but the RTO missed its target (exit 5): a real, measured recovery, part of the trend.
  record('d', '2026-12-01T10:00:00.000Z', 2_000_000, 'failed', false),
]);

const finished = (stepId: string, data: Record<string, unknown>): RunEvent => ({
  type: 'step-finished',
  runId: 'r',
  stepId,
  outcome: 'ok',
  durationMs: 1,
  attempts: 1,
  data,
  at: '2026-12-02T00:00:00.000Z',
});

describe('drill history view', () => {
  it('counts a drill that missed RTO_TARGET in the trend and the expectation, but not as the last pass', () => {
    assert.deepEqual(HISTORY.rtoSeries, [600_000, 700_000, 2_000_000]);
    assert.equal(HISTORY.trend, 'slower');
    assert.equal(HISTORY.lastPassedAt, '2026-09-01T10:00:00.000Z');
    const view = drillHistoryView(HISTORY, '/backups/records');
    assert.equal(view.drills, 4);
    assert.equal(view.measured, 3);
    assert.equal(view.sparkline, '▁▂█');
    assert.match(trendText(view), /^slower \(\+11m 40s a drill\)$/);
    assert.match(
      historySummaryLine(view, '30m'),
      /^4 earlier drill\(s\), RTO ▁▂█ 10m 00s…33m 20s, trend slower .*; next drill expected ~\S+ \S+ \(RTO_TARGET 30m\)$/,
    );
  });

  it('says when there is nothing to expect yet', () => {
    assert.equal(
      historySummaryLine(drillHistoryView(drillHistory([]), '/r')),
      'no earlier drill on record: this drill sets the baseline',
    );
    assert.match(
      historySummaryLine(drillHistoryView(drillHistory([record('x', '2026-01-01T00:00:00Z', null, 'failed')]), '/r')),
      /1 earlier drill\(s\), none passed its checks/,
    );
  });
});

describe('drill history panel (Ink)', () => {
  it('draws the sparkline, the trend, the expected duration and the newest drills one by one', () => {
    const view = drillHistoryView(HISTORY, '/backups/records');
    const frame = render(<DrillHistoryPanel view={view} />).lastFrame() ?? '';
    assert.match(frame, /Drill history\s+\/backups\/records/);
    assert.match(frame, /RTO of the last 3 measured drill\(s\): ▁▂█\s+trend: slower/);
    assert.match(frame, /next drill expected: ~\d/);
    assert.match(frame, /2026-03-01 10:00\s+ok\s+RTO 10m 00s met · dump 6h 00m old/);
    assert.match(frame, /2026-06-01 10:00\s+failed\s+no RTO \(failed: login, mfa, me\)/);
    assert.match(frame, /2026-12-01 10:00\s+failed\s+RTO 33m 20s MISSED/);
  });

  it('follows the run: nothing for other runbooks, the history once its step reported, then this drill against it', async () => {
    const tap = new DrillHistoryTap();
    const ui = render(<DrillHistoryFooter tap={tap} />);
    tap.listener(finished('dump', { size: 12 }));
    await settle();
    assert.equal(ui.lastFrame(), '');

    const view = drillHistoryView(HISTORY, '/backups/records');
    tap.listener(finished('history', { drillHistory: view }));
    await settle();
    assert.match(ui.lastFrame() ?? '', /next drill expected/);
    assert.doesNotMatch(ui.lastFrame() ?? '', /this drill:/);

    tap.listener(finished('rto', { rto: { ms: 65_000, met: true, target: '30m' } }));
    await settle();
    assert.match(
      ui.lastFrame() ?? '',
      /this drill: RTO 1m 05s \(target 30m: met\) · expected ~.* \(as fast or faster\)/,
    );

    tap.listener({
      type: 'run-started',
      runId: 'r2',
      runbook: 'backup',
      title: 'Backup',
      runbookSha256: 'x',
      mode: 'interactive',
      dryRun: false,
      inputs: {},
      steps: [],
      at: '2026-12-02T00:00:00.000Z',
    });
    await settle();
    assert.equal(ui.lastFrame(), '', 'a new run starts with an empty panel');
  });

  it('says so when this drill did not reach its last check', async () => {
    const tap = new DrillHistoryTap();
    const ui = render(<DrillHistoryFooter tap={tap} />);
    tap.listener(finished('history', { drillHistory: drillHistoryView(drillHistory([]), '/r') }));
    tap.listener(finished('rto', { rto: { ms: null, met: null, target: '30m' } }));
    await settle();
    assert.match(ui.lastFrame() ?? '', /this drill sets the baseline/);
    assert.match(ui.lastFrame() ?? '', /this drill: no RTO \(a check did not pass\)/);
  });
});
