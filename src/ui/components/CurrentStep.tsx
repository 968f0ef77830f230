/** The step running now: spinner, elapsed time, progress and the last lines of its output. */
import { Box, Text } from 'ink';
import Spinner from 'ink-spinner';
import { formatProgress } from '../format.js';
import type { CurrentStep as CurrentStepState } from '../run-state.js';
import { Elapsed } from './Elapsed.js';

export function CurrentStep({ step, waiting = false }: { step: CurrentStepState; waiting?: boolean }) {
  return (
    <Box flexDirection="column">
      <Text>
        <Text color="cyan">
          <Spinner type="dots" />
        </Text>
        <Text bold> {step.title}</Text>
        {step.destructive ? <Text color="yellow"> [destructive]</Text> : null}
        {step.attempt > 1 ? <Text dimColor> (attempt {step.attempt})</Text> : null}
        <Text>{'  '}</Text>
        {waiting ? <Text color="yellow">waiting for you</Text> : <Elapsed sinceMs={step.startedAtMs} dimColor />}
      </Text>
      {step.progress ? (
        <Box marginLeft={2}>
          {/* Re-rendered on each progress event; an ETA the engine did not give is estimated from the rate so far. */}
          <Text color="cyan">{formatProgress(step.progress, Date.now() - step.startedAtMs)}</Text>
        </Box>
      ) : null}
      {step.tail.map((line, i) => (
        <Text key={i} dimColor wrap="truncate-end">
          {'  │ '}
          {line}
        </Text>
      ))}
    </Box>
  );
}
