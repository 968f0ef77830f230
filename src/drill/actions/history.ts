/**
 * drill.history: before the drill, the earlier drills from their records in RECORDS_DIR (the same folder the
 * record writer and `status` use): their RTOs as a sparkline, the trend, and the expected duration of this drill.
 * Read-only; a records folder that cannot be read is a warning, never a failure (the drill matters more). The
 * view travels as step data (`drillHistory`) for the TUI's panel and goes into the record (`details.history`).
 */
import { z } from 'zod';
import { messageOf } from '../../core/errors.js';
import { defineAction } from '../../engine/action.js';
import type { DrillHistoryView } from '../history-view.js';

export const drillHistoryAction = defineAction({
  name: 'drill.history',
  description: 'the earlier drills: their RTOs, the trend and the expected duration of this one',
  readOnly: true,
  params: z.object({}).strict(),
  describe: () => 'read the earlier drill records: RTO sparkline, trend, expected duration of this drill',
  async run(_params, ctx) {
    const [{ loadDrillHistory }, { drillHistoryView, historyRowText, historySummaryLine }, { recordsDirOf }] =
      await Promise.all([
        import('../history-load.js'),
        import('../history-view.js'),
        import('../../records/records-dir.js'),
      ]);
    const targetText = ctx.settings.get('RTO_TARGET') ?? '30m';
    let recordsDir: string;
    try {
      recordsDir = recordsDirOf(ctx.settings);
    } catch (error) {
      return { outcome: 'skipped', message: `no records folder (${messageOf(error)}): no history to show` };
    }
    let view: DrillHistoryView;
    try {
      view = drillHistoryView(await loadDrillHistory(recordsDir), recordsDir);
    } catch (error) {
      ctx.output(
        `the drill records in ${recordsDir} could not be read (${messageOf(error)}): no history shown`,
        'warn',
      );
      return { outcome: 'skipped', message: `history not read: ${messageOf(error)}` };
    }
    for (const row of view.rows) ctx.output(historyRowText(row));
    const message = historySummaryLine(view, targetText);
    return {
      message,
      data: {
        drillHistory: view,
        record: {
          history: {
            earlierDrills: view.drills,
            measured: view.measured,
            trend: view.trend,
            expectedRtoMs: view.expectedNextMs,
            lastPassedAt: view.lastPassedAt,
          },
        },
      },
    };
  },
});
