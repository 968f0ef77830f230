/** Choose one of several options; the request's default is preselected. */
import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';
import { useState } from 'react';
import type { ChoiceRequest } from '../../engine/events.js';

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
      <SelectInput
        items={items}
        initialIndex={initialIndex}
        isFocused={isActive}
        onSelect={(item) => setRefusal(onSubmit(item.value))}
      />
      {refusal ? <Text color="red">{refusal}</Text> : null}
      <Text dimColor>↑/↓ to move, Enter to choose</Text>
    </Box>
  );
}
