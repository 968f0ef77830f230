/** The running runbook: header and finished steps in <Static>, then the live step and the pending ones. */
import { Box, Static, Text } from 'ink';
import { pendingSteps, type RunState } from '../run-state.js';
import { CurrentStep } from './CurrentStep.js';
import { LogLine } from './LogLine.js';

export interface RunViewProps {
  run: RunState;
  /** A status line under the steps ("interrupting… press Ctrl+C again to exit"). */
  notice?: string;
  /** Hide the live area (current and pending steps) once the run is over. */
  finished?: boolean;
  /** A prompt waits for the operator: the step's timer says so instead of counting. */
  waiting?: boolean;
  /** The caller renders the history itself (the App keeps one <Static> for the whole session). */
  withoutHistory?: boolean;
}

/** Pending steps listed under the live one: the rest is counted, so that the live area fits a 24-line screen. */
export const PENDING_SHOWN = 5;

export function RunView({ run, notice, finished = false, waiting = false, withoutHistory = false }: RunViewProps) {
  const allPending = finished ? [] : pendingSteps(run);
  const pending = allPending.length > PENDING_SHOWN + 1 ? allPending.slice(0, PENDING_SHOWN) : allPending;
  const more = allPending.length - pending.length;
  return (
    <Box flexDirection="column">
      {withoutHistory ? null : <Static items={run.log}>{(entry) => <LogLine key={entry.key} entry={entry} />}</Static>}
      {!finished && run.current ? <CurrentStep step={run.current} waiting={waiting} /> : null}
      {pending.map((step) => (
        <Text key={step.id}>
          <Text dimColor>○ {step.title}</Text>
          {step.destructive ? (
            <Text color="yellow" dimColor>
              {' '}
              [destructive]
            </Text>
          ) : null}
          {step.willRun === false ? <Text dimColor> (will be skipped)</Text> : null}
        </Text>
      ))}
      {more > 0 ? <Text dimColor>○ … {more} more step(s)</Text> : null}
      {notice ? <Text color="yellow">{notice}</Text> : null}
    </Box>
  );
}
