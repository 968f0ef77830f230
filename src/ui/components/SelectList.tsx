/**
 * A list that acts only on Enter. Unlike ink-select-input: digits never choose (a stray `3` must not start a key
 * rotation), and every key of a burst counts. Ink splits a chunk of input into keys but calls the handler for all
 * of them before React re-renders, so the cursor lives in a ref that each key moves, not in the rendered state.
 */
import { Box, Text, useInput } from 'ink';
import { useRef, useState, type ReactNode } from 'react';

export interface ListItem<V> {
  key: string;
  label: string;
  value: V;
}

export interface SelectListProps<V> {
  items: ListItem<V>[];
  initialIndex?: number;
  isFocused?: boolean;
  onSelect: (item: ListItem<V>, index: number) => void;
  /** Called whenever the cursor moves (the menu keeps it across views). */
  onMove?: (index: number) => void;
  /** Extra lines under the highlighted item (its description). */
  renderDetail?: (item: ListItem<V>) => ReactNode;
}

export type ListKey = 'up' | 'down' | 'first' | 'last' | 'enter' | 'other';

/** Which list key an input event is. Letters j/k move too; digits and other letters do nothing. */
interface KeyFlags {
  upArrow: boolean;
  downArrow: boolean;
  return: boolean;
  home?: boolean;
  end?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
}

export function listKeyOf(input: string, key: KeyFlags): ListKey {
  if (key.upArrow || input === 'k') return 'up';
  if (key.downArrow || input === 'j') return 'down';
  if (key.home || key.pageUp) return 'first';
  if (key.end || key.pageDown) return 'last';
  if (key.return) return 'enter';
  return 'other';
}

export function moveCursor(index: number, count: number, move: ListKey): number {
  if (count === 0) return 0;
  if (move === 'up') return (index - 1 + count) % count;
  if (move === 'down') return (index + 1) % count;
  if (move === 'first') return 0;
  if (move === 'last') return count - 1;
  return index;
}

export function SelectList<V>(props: SelectListProps<V>) {
  const { items, initialIndex = 0, isFocused = true, onSelect, onMove, renderDetail } = props;
  const start = Math.min(Math.max(0, initialIndex), Math.max(0, items.length - 1));
  const cursor = useRef(start);
  const [shown, setShown] = useState(start);
  const chosen = useRef(false);
  useInput(
    (input, key) => {
      if (chosen.current || items.length === 0) return;
      const move = listKeyOf(input, key);
      if (move === 'enter') {
        const item = items[cursor.current];
        if (!item) return;
        chosen.current = true;
        // Let a later Enter choose again only once this list is still on screen after the choice (a refusal).
        setImmediate(() => (chosen.current = false));
        onSelect(item, cursor.current);
        return;
      }
      const next = moveCursor(cursor.current, items.length, move);
      if (next === cursor.current) return;
      cursor.current = next;
      setShown(next);
      onMove?.(next);
    },
    { isActive: isFocused },
  );
  return (
    <Box flexDirection="column">
      {items.map((item, index) => {
        const selected = index === shown;
        return (
          <Box key={item.key} flexDirection="column">
            <Text wrap="truncate-end">
              <Text color={selected ? 'cyan' : undefined} bold={selected}>
                {selected ? '❯ ' : '  '}
                {item.label}
              </Text>
            </Text>
            {selected && renderDetail ? renderDetail(item) : null}
          </Box>
        );
      })}
    </Box>
  );
}
