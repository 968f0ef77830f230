/** Choose one of several options; the request's default is preselected. */
import { Box, Text } from 'ink';
import { useState } from 'react';
import type { ChoiceRequest } from '../../engine/events.js';
import { SelectList } from '../components/SelectList.js';

export interface ChoicePromptProps {
  request: ChoiceRequest;
  onSubmit: (value: string) => string | undefined;
  isActive?: boolean;
}

export function ChoicePrompt({ request, onSubmit, isActive = true }: ChoicePromptProps) {
  const [refusal, setRefusal] = useState<string | undefined>();
  const initialIndex = Math.max(
    0,
    request.options.findIndex((option) => option.value === request.default),
  );
  const items = request.options.map((option) => ({
    key: option.value,
    label: option.hint ? `${option.label} — ${option.hint}` : option.label,
    value: option.value,
  }));
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>? {request.message}</Text>
      <SelectList
        items={items}
        initialIndex={initialIndex}
        isFocused={isActive}
        onSelect={(item) => setRefusal(onSubmit(item.value))}
      />
      {refusal ? <Text color="red">{refusal}</Text> : null}
      <Text dimColor>↑/↓ move · Enter choose · Ctrl+C stop the run</Text>
    </Box>
  );
}
