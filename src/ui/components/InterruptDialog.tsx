/**
 * Ctrl+C during a destructive step, or in a run that has said what stopping would leave: say what stopping now
 * would leave, then stop (y) or let it go on (n, Esc). The title names the step `y` would stop.
 */
import { Box, Text, useInput } from 'ink';

export interface InterruptDialogProps {
  title: string;
  destructive?: boolean;
  onInterrupt?: string;
  /** What the step last said stopping now would leave (it passed a point since it started). */
  phase?: string;
  onStop: () => void;
  onContinue: () => void;
  isActive?: boolean;
}

export function InterruptDialog(props: InterruptDialogProps) {
  const { title, destructive = true, onInterrupt, phase, onStop, onContinue, isActive = true } = props;
  useInput(
    (input, key) => {
      if (input === 'y' || input === 'Y') onStop();
      else if (input === 'n' || input === 'N' || key.escape) onContinue();
    },
    { isActive },
  );
  return (
    <Box flexDirection="column" marginTop={1} borderStyle="double" borderColor="red" paddingX={1}>
      <Text bold color="red">
        Stop “{title}” now?{destructive ? ' It is a destructive step.' : ''}
      </Text>
      <Text>Stopping now would leave:</Text>
      <Text color="yellow">
        {'  '}
        {phase ?? onInterrupt ?? 'the step half done: inspect the target before running anything else against it'}
      </Text>
      {phase && onInterrupt ? (
        <Text dimColor>
          {'  '}(the step: {onInterrupt.replace(/\s+/g, ' ').trim()})
        </Text>
      ) : null}
      <Text dimColor>{'  '}The run goes on while this question is open; this text follows it.</Text>
      <Text>
        <Text bold>y</Text> stop now · <Text bold>n</Text> or <Text bold>Esc</Text> let it continue
        <Text dimColor> (Ctrl+C again stops the whole run)</Text>
      </Text>
    </Box>
  );
}
