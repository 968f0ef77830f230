/** One checklist item: done or not done, then an optional note. */
import { Box, Text } from 'ink';
import { LineInput } from './LineInput.js';
import { useState } from 'react';
import type { ChecklistRequest } from '../../engine/events.js';
import { SelectList } from '../components/SelectList.js';
import type { ChecklistAnswer } from '../../engine/interactor.js';

export interface ChecklistPromptProps {
  request: ChecklistRequest;
  onSubmit: (answer: ChecklistAnswer) => string | undefined;
  isActive?: boolean;
}

const ITEMS = [
  { key: 'done', label: 'Done', value: true },
  { key: 'not-done', label: 'Not done', value: false },
];

export function ChecklistPrompt({ request, onSubmit, isActive = true }: ChecklistPromptProps) {
  const [done, setDone] = useState<boolean | undefined>();
  const [note, setNote] = useState('');
  const [refusal, setRefusal] = useState<string | undefined>();
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>☐ {request.item}</Text>
      {done === undefined ? (
        <>
          <SelectList items={ITEMS} isFocused={isActive} onSelect={(item) => setDone(item.value)} />
          <Text dimColor>↑/↓ move · Enter choose · Ctrl+C stop the run</Text>
        </>
      ) : (
        <>
          <Text>{done ? <Text color="green">✔ done</Text> : <Text color="yellow">✖ not done</Text>}</Text>
          <Box>
            <Text color="cyan">Note (optional, Enter to skip): </Text>
            <LineInput
              value={note}
              onChange={setNote}
              focus={isActive}
              onSubmit={(typed) => setRefusal(onSubmit(typed ? { done, note: typed } : { done }))}
            />
          </Box>
        </>
      )}
      {refusal ? <Text color="red">{refusal}</Text> : null}
    </Box>
  );
}
