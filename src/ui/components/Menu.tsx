/**
 * The start screen: one line per runbook (the description only under the highlighted one, so that the menu fits
 * 80x24), then the recent runs and records lists. A change-window runbook asks once more, in words, before it
 * starts. The cursor is kept across the lists and, through `initialIndex`/`onMove`, across runs.
 */
import { Box, Text, useInput, useStdout } from 'ink';
import { useState } from 'react';
import type { DrillHistoryView } from '../../drill/history-view.js';
import { DrillHistoryPanel } from '../drill-history.js';
import { SelectList, type ListItem } from './SelectList.js';
import { resumeRequest } from '../../engine/resume-request.js';

export interface MenuRunbook {
  name: string;
  title: string;
  description: string;
  /** Changes production in a change window (key rotation, rollback, restore): starting it asks once more. */
  changeWindow?: boolean;
}

/** A run of the recent-runs list: one that did not finish can be resumed from the menu. */
export interface RecentRun {
  runId: string;
  runbook: string;
  state: string;
  line: string;
}

export interface MenuProps {
  runbooks: MenuRunbook[];
  recentRuns?: string[];
  /** Read when the list is opened (fresh after each run); runs that did not finish can be resumed from it. */
  listRuns?: () => RecentRun[];
  records?: string[];
  /** Earlier drills (RTO sparkline, trend, expected duration of the next one). */
  drillHistory?: DrillHistoryView;
  /** A line under the title (nothing configured: try the practice sandbox; the practice tour). */
  notice?: string[];
  onRun: (runbook: string) => void;
  onQuit: () => void;
  isActive?: boolean;
  initialIndex?: number;
  onMove?: (index: number) => void;
}

type View = 'main' | 'recent' | 'records' | 'drills' | { confirm: MenuRunbook };

export const MENU_KEYS = '↑/↓ move · Enter choose · Ctrl+C leave';
const BACK_KEYS = 'Esc or Enter: back to the menu';
const RESUMABLE = '  (Enter: resume)';
/** At most this many lines of the highlighted item's description; fewer when the terminal is short. */
const DESCRIPTION_LINES = 3;

/**
 * How many description lines fit under the highlighted item: the terminal's rows less the title, the keys, the
 * notice (as wrapped at `columns`), the blank line, every item, and one row spare (a frame as high as the terminal
 * is redrawn from its top, pushing the title out).
 */
export function descriptionRoom(rows: number, columns: number, notice: string[], items: number): number {
  const noticeRows = notice.reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / Math.max(1, columns))), 0);
  const used = 2 + noticeRows + 1 + items + 1;
  return Math.max(0, Math.min(DESCRIPTION_LINES, rows - used));
}

/** The text, whitespace folded, cut to about `lines` lines of `width` with an ellipsis. */
export function clip(text: string, width: number, lines: number): string {
  const folded = text.replace(/\s+/g, ' ').trim();
  const room = Math.max(20, width) * lines - lines * 8; // word wrapping leaves ragged line ends
  return folded.length <= room ? folded : `${folded.slice(0, room - 1).replace(/\s+\S*$/, '')}…`;
}

function ListView({ title, lines, isActive }: { title: string; lines: string[]; isActive: boolean }) {
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      {lines.length === 0 ? <Text dimColor>{'  '}none yet</Text> : null}
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {'  '}
          {line}
        </Text>
      ))}
      <Text dimColor>{isActive ? BACK_KEYS : ''}</Text>
    </Box>
  );
}

/** Recent runs as a list: Enter on one that did not finish resumes it. */
interface RecentRunsViewProps {
  runs: RecentRun[];
  isActive: boolean;
  onResume: (run: RecentRun) => void;
  onBack: () => void;
}

function RecentRunsView({ runs, isActive, onResume, onBack }: RecentRunsViewProps) {
  useInput((_input, key) => key.escape && onBack(), { isActive });
  const items: ListItem<RecentRun | undefined>[] = [
    ...runs.map((run) => ({ key: run.runId, label: `${run.line}${run.state === 'ok' ? '' : RESUMABLE}`, value: run })),
    { key: 'back', label: 'Back to the menu', value: undefined },
  ];
  return (
    <Box flexDirection="column">
      <Text bold>Recent runs</Text>
      <Text dimColor>↑/↓ move · Enter resume a run that did not finish · Esc back</Text>
      <SelectList
        items={items}
        isFocused={isActive}
        onSelect={(item) => (item.value && item.value.state !== 'ok' ? onResume(item.value) : onBack())}
      />
    </Box>
  );
}

/** "Start the restore?" in words: No is highlighted, Yes needs a move and Enter. */
interface ConfirmStartProps {
  runbook: MenuRunbook;
  isActive: boolean;
  onAnswer: (start: boolean) => void;
}

function ConfirmStart({ runbook, isActive, onAnswer }: ConfirmStartProps) {
  useInput((_input, key) => key.escape && onAnswer(false), { isActive });
  const items: ListItem<boolean>[] = [
    { key: 'no', label: 'No, back to the menu', value: false },
    { key: 'yes', label: `Yes, start ${runbook.name} now`, value: true },
  ];
  return (
    <Box flexDirection="column">
      <Text bold color="yellow">
        Start “{runbook.title}”?
      </Text>
      <Text>It is a change-window runbook: it changes the production database or the running service.</Text>
      <Text dimColor>It asks again before anything is changed. ↑/↓ move · Enter choose · Esc back</Text>
      <SelectList items={items} isFocused={isActive} onSelect={(item) => onAnswer(item.value)} />
    </Box>
  );
}

/** "Title (name)" within `width`: the title is cut, never the name the command line knows it by. */
export function itemLabel(runbook: Pick<MenuRunbook, 'title' | 'name'>, width: number): string {
  const suffix = ` (${runbook.name})`;
  if (runbook.title.length + suffix.length <= width) return `${runbook.title}${suffix}`;
  return `${runbook.title.slice(0, Math.max(8, width - suffix.length - 1)).trimEnd()}…${suffix}`;
}

/** The menu's first screen: title, keys, notice and the list of runbooks and views. */
interface MainListProps {
  props: MenuProps;
  cursor: number;
  onMove: (index: number) => void;
  setView: (view: View) => void;
}

function mainItems(props: MenuProps, width: number): ListItem<string>[] {
  const { runbooks, recentRuns = [], records = [], drillHistory } = props;
  const items: ListItem<string>[] = runbooks.map((runbook) => {
    const value = `run:${runbook.name}`;
    return { key: value, label: itemLabel(runbook, width), value };
  });
  const recentCount = props.listRuns ? props.listRuns().length : recentRuns.length;
  items.push(
    { key: 'recent', label: `Recent runs (${recentCount})`, value: 'recent' },
    { key: 'records', label: `Records (${records.length})`, value: 'records' },
    ...(drillHistory ? [{ key: 'drills', label: `Drill history (${drillHistory.drills})`, value: 'drills' }] : []),
    { key: 'quit', label: 'Quit', value: 'quit' },
  );
  return items;
}

function MainList({ props, cursor, onMove, setView }: MainListProps) {
  const { stdout } = useStdout();
  const byValue = new Map(props.runbooks.map((runbook) => [`run:${runbook.name}`, runbook]));
  // Ink 8 types stdout as a plain stream; a terminal's is a tty.WriteStream with its width.
  const columns = (stdout as NodeJS.WriteStream).columns || 80;
  const items = mainItems(props, columns - 3);
  const room = descriptionRoom((stdout as NodeJS.WriteStream).rows || 24, columns, props.notice ?? [], items.length);
  const select = (item: ListItem<string>) => {
    if (item.value === 'quit') return props.onQuit();
    if (item.value === 'recent' || item.value === 'records' || item.value === 'drills') return setView(item.value);
    const runbook = byValue.get(item.value);
    if (runbook?.changeWindow) return setView({ confirm: runbook });
    props.onRun(item.value.slice('run:'.length));
  };
  return (
    <Box flexDirection="column">
      <Text bold>obexal-runbook</Text>
      <Text dimColor>{MENU_KEYS}</Text>
      {(props.notice ?? []).map((line, i) => (
        <Text key={i} color="yellow">
          {line}
        </Text>
      ))}
      <Box marginTop={1}>
        <SelectList
          items={items}
          initialIndex={cursor}
          isFocused={props.isActive ?? true}
          onSelect={select}
          onMove={onMove}
          renderDetail={(item) => {
            const description = byValue.get(item.value)?.description;
            return description && room > 0 ? (
              <Box marginLeft={4}>
                <Text dimColor>{clip(description, columns - 6, room)}</Text>
              </Box>
            ) : null;
          }}
        />
      </Box>
    </Box>
  );
}

/** A view other than the main list: recent runs, records, drill history, the change-window confirmation. */
function OtherView({
  props,
  view,
  setView,
}: {
  props: MenuProps;
  view: Exclude<View, 'main'>;
  setView: (v: View) => void;
}) {
  const { runbooks, recentRuns = [], records = [], drillHistory, onRun, isActive = true } = props;
  if (view === 'recent' && props.listRuns) {
    const resume = (run: RecentRun) => {
      const runbook = runbooks.find((candidate) => candidate.name === run.runbook);
      const known = runbook ?? { name: run.runbook, title: run.runbook, description: '' };
      const request = { ...known, name: resumeRequest(run) };
      if (runbook?.changeWindow) setView({ confirm: { ...request, title: `${runbook.title} (resume ${run.runId})` } });
      else onRun(request.name);
    };
    const back = () => setView('main');
    return <RecentRunsView runs={props.listRuns()} isActive={isActive} onResume={resume} onBack={back} />;
  }
  if (view === 'recent') return <ListView title="Recent runs" lines={recentRuns} isActive={isActive} />;
  if (view === 'records') return <ListView title="Records" lines={records} isActive={isActive} />;
  if (view === 'drills') {
    return (
      <Box flexDirection="column">
        {drillHistory ? <DrillHistoryPanel view={drillHistory} /> : null}
        <Text dimColor>{isActive ? BACK_KEYS : ''}</Text>
      </Box>
    );
  }
  const runbook = view.confirm;
  const answer = (start: boolean) => (start ? onRun(runbook.name) : setView('main'));
  return <ConfirmStart runbook={runbook} isActive={isActive} onAnswer={answer} />;
}

export function Menu(props: MenuProps) {
  const { isActive = true } = props;
  const [view, setView] = useState<View>('main');
  const [cursor, setCursor] = useState(props.initialIndex ?? 0);
  useInput(
    (_input, key) => {
      if (key.escape || key.return) setView('main');
    },
    { isActive: isActive && ((view === 'recent' && !props.listRuns) || view === 'records' || view === 'drills') },
  );
  if (view !== 'main') return <OtherView props={props} view={view} setView={setView} />;
  const move = (index: number) => {
    setCursor(index);
    props.onMove?.(index);
  };
  return <MainList props={props} cursor={cursor} onMove={move} setView={setView} />;
}
