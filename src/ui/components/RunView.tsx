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

export function RunView({ run, notice, finished = false, waiting = false, withoutHistory = false }: RunViewProps) {
  const pending = finished ? [] : pendingSteps(run);
  return (
    <Box flexDirection="column">
      {withoutHistory ? null : <Static items={run.log}>{(entry) => <LogLine key={entry.key} entry={entry} />}</Static>}
      {!finished && run.current ? <CurrentStep step={run.current} waiting={waiting} /> : null}
      {pending.map((step) => (
        <Text key={step.id}>
          <Text dimColor>○ {step.title}</Text>
          {step.destructive ? <Text color="yellow" dimColor> [destructive]</Text> : null}
          {step.willRun === false ? <Text dimColor> (will be skipped)</Text> : null}
        </Text>
      ))}
      {notice ? <Text color="yellow">{notice}</Text> : null}
    </Box>
  );
}
