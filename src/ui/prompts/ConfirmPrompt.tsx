/**
 * A typed confirmation: what will be destroyed, shown prominently, and the exact token to type. A mistyped
 * token is refused with what was expected; the operator retries or presses Esc to cancel.
 */
import { Box, Text, useInput } from 'ink';
import { LineInput } from './LineInput.js';
import { useState } from 'react';
import type { ConfirmRequest } from '../../engine/events.js';

export interface ConfirmPromptProps {
  request: ConfirmRequest;
  onSubmit: (typed: string) => string | undefined;
  onCancel: () => void;
  isActive?: boolean;
}

export function ConfirmPrompt({ request, onSubmit, onCancel, isActive = true }: ConfirmPromptProps) {
  const [value, setValue] = useState('');
  const [refusal, setRefusal] = useState<string | undefined>();
  useInput(
    (_input, key) => {
      if (key.escape) onCancel();
    },
    { isActive },
  );
  const submit = (typed: string) => {
    const problem = onSubmit(typed);
    setRefusal(problem);
    if (problem !== undefined) setValue('');
  };
  const accent = request.destructive ? 'red' : 'yellow';
  return (
    <Box flexDirection="column" marginTop={1} borderStyle="round" borderColor={accent} paddingX={1}>
      <Text bold color={accent}>
        {request.destructive ? '⚠ ' : ''}
        {request.message}
      </Text>
      {request.details.map((detail, i) => (
        <Text key={i} color="yellow">
          {'  • '}
          {detail}
        </Text>
      ))}
      <Box marginTop={1}>
        <Text>
          Type <Text bold inverse>{` ${request.token} `}</Text> to confirm, or Esc to cancel (nothing is changed).
        </Text>
      </Box>
      <Box>
        <Text color={accent}>› </Text>
        <LineInput value={value} onChange={setValue} focus={isActive} onSubmit={submit} />
      </Box>
      {refusal ? <Text color="red">{refusal}</Text> : null}
    </Box>
  );
}
