/** How the run ended: outcome, exit code and its meaning, total time, the record and whether it verified. */
import { Box, Text } from 'ink';
import type { StepOutcome } from '../../engine/events.js';
import type { RunResult } from '../../engine/run-control.js';
import { exitCodeMeaning, formatDuration, OUTCOME_SYMBOL, RUN_OUTCOME_TEXT } from '../format.js';

export interface SummaryProps {
  runbook?: string;
  result?: RunResult;
  /** The run could not start, or ended with an error instead of a result. */
  failure?: { message: string; hint?: string };
  exitCode: number;
  durationMs?: number;
  counts?: Partial<Record<StepOutcome, number>>;
}

function Counts({ counts }: { counts: Partial<Record<StepOutcome, number>> }) {
  const parts = (Object.keys(OUTCOME_SYMBOL) as StepOutcome[])
    .filter((outcome) => (counts[outcome] ?? 0) > 0)
    .map((outcome) => `${OUTCOME_SYMBOL[outcome]} ${counts[outcome]} ${outcome}`);
  return parts.length > 0 ? <Text dimColor>  steps: {parts.join('  ')}</Text> : null;
}

export function Summary({ runbook, result, failure, exitCode, durationMs, counts }: SummaryProps) {
  const ok = exitCode === 0;
  const color = ok ? 'green' : exitCode === 130 || exitCode === 143 ? 'yellow' : 'red';
  const outcome = result ? RUN_OUTCOME_TEXT[result.outcome] : ok ? 'finished' : 'failed';
  const message = result?.message ?? failure?.message;
  const hint = result?.hint ?? failure?.hint;
  const stopped = result && result.outcome !== 'ok' && result.outcome !== 'refused';
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold color={color}>
        {ok ? '✔' : '✖'} {runbook ?? 'run'} {outcome}
        <Text dimColor>
          {'  '}exit {exitCode} ({exitCodeMeaning(exitCode)})
          {durationMs !== undefined ? ` · total ${formatDuration(durationMs)}` : ''}
        </Text>
      </Text>
      {counts ? <Counts counts={counts} /> : null}
      {message && !ok ? <Text color={color}>  {message}</Text> : null}
      {hint && !ok ? <Text color="yellow">  → {hint}</Text> : null}
      {result?.recordPath ? (
        <Text>
          {'  '}record: {result.recordPath}{' '}
          {result.recordVerified ? (
            <Text color="green">✔ signature verified</Text>
          ) : (
            <Text color="red">✖ signature not verified</Text>
          )}
        </Text>
      ) : result ? (
        <Text color="yellow">  no record was written</Text>
      ) : null}
      {result?.recordCopy ? (
        <Text color={result.recordCopy.ok ? undefined : 'yellow'}>
          {'  '}record {result.recordCopy.ok ? 'copied' : 'NOT copied'} to the bucket: {result.recordCopy.text}
        </Text>
      ) : null}
      {stopped && result?.journalPath ? (
        <Text dimColor>
          {'  '}journal: {result.journalPath} · continue with: obexal-runbook {runbook} --resume {result.runId}
        </Text>
      ) : null}
    </Box>
  );
}
