/** A line of text; Enter on an empty line takes the default. */
import { Box, Text } from 'ink';
import { LineInput } from './LineInput.js';
import { useState } from 'react';
import type { TextRequest } from '../../engine/events.js';

export interface TextPromptProps {
  request: TextRequest;
  onSubmit: (value: string) => string | undefined;
  isActive?: boolean;
}

export function TextPrompt({ request, onSubmit, isActive = true }: TextPromptProps) {
  const [value, setValue] = useState('');
  const [refusal, setRefusal] = useState<string | undefined>();
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>
        ? {request.message}
        {request.default !== undefined ? <Text dimColor> (Enter for {request.default})</Text> : null}
      </Text>
      <Box>
        <Text color="cyan">› </Text>
        <LineInput
          value={value}
          onChange={setValue}
          focus={isActive}
          placeholder={request.default ?? ''}
          onSubmit={(typed) => setRefusal(onSubmit(typed))}
        />
      </Box>
      {refusal ? <Text color="red">{refusal}</Text> : null}
      <Text dimColor>type, then Enter · Ctrl+C stop the run</Text>
    </Box>
  );
}
