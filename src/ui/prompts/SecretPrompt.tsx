/** A masked value (a key, a password): only `*` is ever drawn; the request's validate decides. */
import { Box, Text } from 'ink';
import { LineInput } from './LineInput.js';
import { useState } from 'react';
import type { SecretRequest } from '../../engine/events.js';

export interface SecretPromptProps {
  request: SecretRequest;
  onSubmit: (value: string) => string | undefined;
  isActive?: boolean;
}

export function SecretPrompt({ request, onSubmit, isActive = true }: SecretPromptProps) {
  const [value, setValue] = useState('');
  const [refusal, setRefusal] = useState<string | undefined>();
  const submit = (typed: string) => {
    const problem = onSubmit(typed);
    setRefusal(problem);
    if (problem !== undefined) setValue('');
  };
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>
        ? {request.message} <Text dimColor>(hidden as you type)</Text>
      </Text>
      <Box>
        <Text color="cyan">› </Text>
        <LineInput value={value} onChange={setValue} focus={isActive} mask="*" onSubmit={submit} />
      </Box>
      {refusal ? <Text color="red">{refusal}</Text> : null}
      <Text dimColor>type or paste, then Enter · Ctrl+C stop the run</Text>
    </Box>
  );
}
