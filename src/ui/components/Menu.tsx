/** The start screen: runbooks with their descriptions, then the recent runs and records lists. */
import { Box, Text, useInput } from 'ink';
import SelectInput from 'ink-select-input';
import { useState } from 'react';
import type { DrillHistoryView } from '../../drill/history-view.js';
import { DrillHistoryPanel } from '../drill-history.js';

export interface MenuRunbook {
  name: string;
  title: string;
  description: string;
}

export interface MenuProps {
  runbooks: MenuRunbook[];
  recentRuns?: string[];
  records?: string[];
  /** Earlier drills (RTO sparkline, trend, expected duration of the next one). */
  drillHistory?: DrillHistoryView;
  onRun: (runbook: string) => void;
  onQuit: () => void;
  isActive?: boolean;
}

type View = 'main' | 'recent' | 'records' | 'drills';

function ListView({ title, lines, isActive }: { title: string; lines: string[]; isActive: boolean }) {
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      {lines.length === 0 ? <Text dimColor>  none yet</Text> : lines.map((line, i) => <Text key={i}>  {line}</Text>)}
      <Text dimColor>{isActive ? 'Esc or Enter: back to the menu' : ''}</Text>
    </Box>
  );
}

export function Menu({ runbooks, recentRuns = [], records = [], drillHistory, onRun, onQuit, isActive = true }: MenuProps) {
  const [view, setView] = useState<View>('main');
  useInput(
    (_input, key) => {
      if (key.escape || key.return) setView('main');
    },
    { isActive: isActive && view !== 'main' },
  );
  if (view === 'recent') return <ListView title="Recent runs" lines={recentRuns} isActive={isActive} />;
  if (view === 'records') return <ListView title="Records" lines={records} isActive={isActive} />;
  if (view === 'drills' && drillHistory) {
    return (
      <Box flexDirection="column">
        <DrillHistoryPanel view={drillHistory} />
        <Text dimColor>{isActive ? 'Esc or Enter: back to the menu' : ''}</Text>
      </Box>
    );
  }

  const descriptions = new Map<string, string>();
  const items = runbooks.map((runbook) => {
    const label = `${runbook.title} (${runbook.name})`;
    descriptions.set(label, runbook.description);
    return { key: `run:${runbook.name}`, label, value: `run:${runbook.name}` };
  });
  items.push(
    { key: 'recent', label: `Recent runs (${recentRuns.length})`, value: 'recent' },
    { key: 'records', label: `Records (${records.length})`, value: 'records' },
    ...(drillHistory ? [{ key: 'drills', label: `Drill history (${drillHistory.drills})`, value: 'drills' }] : []),
    { key: 'quit', label: 'Quit', value: 'quit' },
  );
  const Item = ({ isSelected, label }: { isSelected?: boolean; label: string }) => (
    <Text>
      <Text color={isSelected ? 'cyan' : undefined} bold={isSelected}>
        {label}
      </Text>
      {descriptions.has(label) ? <Text dimColor>  {descriptions.get(label)}</Text> : null}
    </Text>
  );
  const select = (item: { value: string }) => {
    if (item.value === 'quit') onQuit();
    else if (item.value === 'recent' || item.value === 'records' || item.value === 'drills') setView(item.value);
    else onRun(item.value.slice('run:'.length));
  };
  return (
    <Box flexDirection="column">
      <Text bold>obexal-runbook</Text>
      <Text dimColor>↑/↓ to move, Enter to choose, Ctrl+C to leave</Text>
      <Box marginTop={1}>
        <SelectInput items={items} itemComponent={Item} onSelect={select} isFocused={isActive} />
      </Box>
    </Box>
  );
}
