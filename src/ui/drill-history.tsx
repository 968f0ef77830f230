/**
 * The drill history panel: the earlier drills with their RTOs (a sparkline and the newest few one by one), the
 * trend, the expected duration of this drill and, once measured, this drill's RTO against it. It renders what the
 * `drill.history` and `drill.rto` steps emitted (through DrillHistoryTap); it computes nothing of its own.
 */
import { Box, Text } from 'ink';
import { useSyncExternalStore } from 'react';
import { historyRowText, historySummaryLine, trendText, type DrillHistoryView } from '../drill/history-view.js';
import { formatDuration } from './format.js';
import type { DrillHistoryTap, DrillRtoNow } from './drill-history-tap.js';

const TREND_COLOR: Record<DrillHistoryView['trend'], string | undefined> = {
  faster: 'green',
  slower: 'yellow',
  steady: undefined,
  unknown: undefined,
};

function NowLine({ now, expectedMs }: { now: DrillRtoNow; expectedMs: number | null }) {
  if (now.ms === null) return <Text color="red">{'  '}this drill: no RTO (a check did not pass)</Text>;
  const versus =
    expectedMs === null
      ? ''
      : ` · expected ~${formatDuration(expectedMs)} ` +
        `(${now.ms <= expectedMs ? 'as fast or faster' : `${formatDuration(now.ms - expectedMs)} slower`})`;
  return (
    <Text>
      {'  '}this drill: <Text bold>RTO {formatDuration(now.ms)}</Text>
      <Text color={now.met === false ? 'red' : 'green'}>
        {' '}
        (target {now.target}: {now.met === false ? 'MISSED' : 'met'})
      </Text>
      <Text dimColor>{versus}</Text>
    </Text>
  );
}

export function DrillHistoryPanel({ view, now }: { view: DrillHistoryView; now?: DrillRtoNow }) {
  return (
    <Box flexDirection="column" marginTop={1} borderStyle="round" borderDimColor paddingX={1}>
      <Text>
        <Text bold>Drill history</Text>
        <Text dimColor>
          {'  '}
          {view.recordsDir}
        </Text>
      </Text>
      {view.drills === 0 ? (
        <Text dimColor>
          {'  '}
          {historySummaryLine(view)}
        </Text>
      ) : (
        <>
          <Text>
            {'  '}RTO of the last {view.recentRtoMs.length} measured drill(s):{' '}
            <Text color="cyan">{view.sparkline || '—'}</Text>
            {'  '}trend: <Text color={TREND_COLOR[view.trend]}>{trendText(view)}</Text>
          </Text>
          <Text>
            {'  '}next drill expected:{' '}
            <Text bold>
              {view.expectedNextMs === null
                ? 'unknown (no drill passed its checks yet)'
                : `~${formatDuration(view.expectedNextMs)}`}
            </Text>
          </Text>
          {view.rows.map((row) => (
            <Text key={`${row.finishedAt}-${row.outcome}`} dimColor wrap="truncate-end">
              {'    '}
              {historyRowText(row)}
            </Text>
          ))}
        </>
      )}
      {now ? <NowLine now={now} expectedMs={view.expectedNextMs} /> : null}
    </Box>
  );
}

/** The panel for the run in progress: nothing until the drill's history step has reported. */
export function DrillHistoryFooter({ tap }: { tap: DrillHistoryTap }) {
  const { view, now } = useSyncExternalStore(tap.subscribe, tap.getSnapshot);
  return view ? <DrillHistoryPanel view={view} {...(now ? { now } : {})} /> : null;
}
