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
  /** Warnings and result notes of the run (what to do next, what was not replaced, a report), repeated here. */
  notes?: string[];
  /** Steps that finished ok: when the run failed or stopped, their results stand (a dump that is safe). */
  completed?: { title: string; message?: string }[];
  /** Stopped before any step finished: nothing was done, nothing to resume. */
  cancelled?: boolean;
  /** The run's ending (target state, done and left, what continues it), as the headless log prints it. */
  ending?: string[];
}

/** Enough of a long report to act on; the journal and the record keep all of it. */
const MAX_NOTES = 40;

function Notes({ notes }: { notes: string[] }) {
  const shown = notes.length > MAX_NOTES ? notes.slice(-MAX_NOTES) : notes;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>What to keep from this run:</Text>
      {notes.length > shown.length ? (
        <Text dimColor>
          {'  '}… {notes.length - shown.length} earlier line(s) above
        </Text>
      ) : null}
      {shown.map((note, i) => (
        <Text key={i} color={note.startsWith('⚠') ? 'yellow' : undefined}>
          {'  '}
          {note}
        </Text>
      ))}
    </Box>
  );
}

function Completed({ steps }: { steps: { title: string; message?: string }[] }) {
  return (
    <Box flexDirection="column">
      <Text>{'  '}Done before that (these results stand):</Text>
      {steps.map((step, i) => (
        <Text key={i} wrap="truncate-end">
          {'    '}✔ {step.title}
          {step.message ? <Text dimColor>: {step.message}</Text> : null}
        </Text>
      ))}
    </Box>
  );
}

function Counts({ counts }: { counts: Partial<Record<StepOutcome, number>> }) {
  const parts = (Object.keys(OUTCOME_SYMBOL) as StepOutcome[])
    .filter((outcome) => (counts[outcome] ?? 0) > 0)
    .map((outcome) => `${OUTCOME_SYMBOL[outcome]} ${counts[outcome]} ${outcome}`);
  return parts.length > 0 ? (
    <Text dimColor>
      {'  '}steps: {parts.join('  ')}
    </Text>
  ) : null;
}

/** The record written (and whether its signature verified) and its copy in the bucket. */
function RecordLines({ result }: { result?: RunResult }) {
  if (!result) return null;
  return (
    <>
      {result.recordPath ? (
        <Text>
          {'  '}record: {result.recordPath}{' '}
          {result.recordVerified ? (
            <Text color="green">✔ signature verified</Text>
          ) : (
            <Text color="red">✖ signature not verified</Text>
          )}
        </Text>
      ) : (
        <Text color="yellow">{'  '}no record was written</Text>
      )}
      {result.recordCopy ? (
        <Text color={result.recordCopy.ok ? undefined : 'yellow'}>
          {'  '}record {result.recordCopy.ok ? 'copied' : 'NOT copied'} to the bucket: {result.recordCopy.text}
        </Text>
      ) : null}
    </>
  );
}

/** What went wrong or stopped: the message, the hint, what stands, the run's ending. */
function Ending({ props, color, signalled }: { props: SummaryProps; color: string; signalled: boolean }) {
  const { result, failure, completed = [], cancelled = false } = props;
  const ending = props.ending ?? [];
  const message = cancelled
    ? 'stopped before any step finished: nothing was done, nothing to resume'
    : (result?.message ?? failure?.message);
  const hint = cancelled ? undefined : (result?.hint ?? failure?.hint);
  const useful = completed.filter((step) => step.message);
  return (
    <>
      {message ? (
        <Text color={color}>
          {'  '}
          {message}
        </Text>
      ) : null}
      {hint ? (
        <Text color="yellow">
          {'  '}→ {hint}
        </Text>
      ) : null}
      {!signalled && useful.length > 0 ? <Completed steps={useful} /> : null}
      {ending.map((line, i) => (
        <Text key={`ending-${i}`} color={line.startsWith('target: HALF-WAY') ? 'red' : undefined}>
          {'  '}
          {line}
        </Text>
      ))}
    </>
  );
}

export function Summary(props: SummaryProps) {
  const { runbook, result, exitCode, durationMs, counts, notes = [], cancelled = false } = props;
  const ok = exitCode === 0;
  const signalled = exitCode === 130 || exitCode === 143;
  const color = ok ? 'green' : signalled ? 'yellow' : 'red';
  const fallback = ok ? 'finished' : signalled ? 'interrupted' : 'failed';
  const outcome = cancelled ? 'cancelled' : result ? RUN_OUTCOME_TEXT[result.outcome] : fallback;
  const stopped = !cancelled && result && result.outcome !== 'ok' && result.outcome !== 'refused';
  return (
    <Box flexDirection="column" marginTop={1}>
      {notes.length > 0 ? <Notes notes={notes} /> : null}
      <Text bold color={color}>
        {ok ? '✔' : signalled ? '⊘' : '✖'} {runbook ?? 'run'} {outcome}
        <Text dimColor>
          {'  '}exit {exitCode} ({exitCodeMeaning(exitCode)})
          {durationMs !== undefined ? ` · total ${formatDuration(durationMs)}` : ''}
        </Text>
      </Text>
      {counts ? <Counts counts={counts} /> : null}
      {!ok ? <Ending props={props} color={color} signalled={signalled} /> : null}
      <RecordLines result={result} />
      {stopped && result?.journalPath ? (
        <Text dimColor>
          {'  '}journal: {result.journalPath} · continue with: obexal-runbook {runbook} --resume {result.runId}
        </Text>
      ) : null}
    </Box>
  );
}
