/** One line of what already happened (rendered once, inside <Static>): the run header, a finished step, an answer. */
import { Box, Text } from 'ink';
import { formatDuration, OUTCOME_COLOR, OUTCOME_SYMBOL } from '../format.js';
import type { LogEntry } from '../run-state.js';

export function LogLine({ entry }: { entry: LogEntry }) {
  switch (entry.kind) {
    case 'header':
      return (
        <Box flexDirection="column" marginBottom={1}>
          <Text bold color="cyan">
            ▶ {entry.title}
          </Text>
          <Text dimColor>
            runbook {entry.runbook} · run {entry.runId} · {entry.mode}
            {entry.dryRun ? ' · dry run: nothing is touched' : ''}
            {entry.resumedFrom ? ` · resumed from ${entry.resumedFrom}` : ''}
          </Text>
        </Box>
      );
    case 'step': {
      const failed = entry.outcome === 'failed' || entry.outcome === 'timed-out';
      return (
        <Box flexDirection="column">
          <Text>
            <Text color={OUTCOME_COLOR[entry.outcome]}>{OUTCOME_SYMBOL[entry.outcome]} </Text>
            <Text>{entry.title}</Text>
            {entry.destructive ? <Text color="yellow"> [destructive]</Text> : null}
            <Text dimColor>
              {'  '}
              {formatDuration(entry.durationMs)}
            </Text>
            {entry.attempts > 1 ? <Text dimColor> ({entry.attempts} attempts)</Text> : null}
            {entry.outcome === 'skipped' || entry.outcome === 'interrupted' ? (
              <Text dimColor> {entry.outcome}</Text>
            ) : null}
            {entry.message ? (
              <Text color={failed ? 'red' : undefined}>
                {'  '}
                {entry.message}
              </Text>
            ) : null}
          </Text>
          {entry.hint ? (
            <Text color="yellow">
              {'    '}→ {entry.hint}
            </Text>
          ) : null}
        </Box>
      );
    }
    case 'answer':
      return (
        <Text dimColor>
          {'  '}· {entry.name}: {entry.summary}
        </Text>
      );
    case 'note':
      return entry.level === 'note' ? <Text>{entry.text}</Text> : <Text color="yellow">{entry.text}</Text>;
  }
}
