/** The root of the interactive UI: the menu, or the run with its prompt, interrupt dialog and summary. */
import { Box, Static, Text, useApp, useInput } from 'ink';
import Spinner from 'ink-spinner';
import { useEffect, useSyncExternalStore } from 'react';
import { InterruptDialog } from './components/InterruptDialog.js';
import { Menu, type MenuRunbook, type RecentRun } from './components/Menu.js';
import type { DrillHistoryView } from '../drill/history-view.js';
import { RunView } from './components/RunView.js';
import { Summary } from './components/Summary.js';
import type { AnyPendingPrompt, PromptStore } from './prompt-store.js';
import { PromptView } from './prompts/PromptView.js';
import { summarise, type InterruptStage, type RunSession, type TranscriptItem } from './run-session.js';
import { LogLine } from './components/LogLine.js';

export interface MenuData {
  runbooks: MenuRunbook[];
  /** Recent runs read fresh each time (resumable from the menu). */
  listRuns?: () => RecentRun[];
  /** Lines under the menu's title (nothing configured; the practice tour). */
  notice?: string[];
  recentRuns?: string[];
  records?: string[];
  drillHistory?: DrillHistoryView;
}

export interface AppProps {
  session: RunSession;
  prompts: PromptStore;
  menu?: MenuData;
}

const NOTICE: Record<InterruptStage, string | undefined> = {
  idle: undefined,
  asking: undefined,
  interrupting: 'interrupting… press Ctrl+C again to exit',
  aborting: 'stopping the run: cleaning up…',
};

type Snapshot = ReturnType<RunSession['getSnapshot']>;

/** One <Static> for the whole session: earlier runs (when the menu comes back) and the live run's history. */
function Transcript({ snapshot }: { snapshot: Snapshot }) {
  const number = snapshot.runNumber;
  const history: TranscriptItem[] = [
    ...snapshot.transcript,
    ...snapshot.run.log.map((entry): TranscriptItem => ({ kind: 'log', key: `${number}-${entry.key}`, entry })),
  ];
  return (
    <Static items={history}>
      {(item) =>
        item.kind === 'log' ? (
          <LogLine key={item.key} entry={item.entry} />
        ) : (
          <Summary key={item.key} {...item.summary} />
        )
      }
    </Static>
  );
}

function MenuView({ session, snapshot, menu }: { session: RunSession; snapshot: Snapshot; menu?: MenuData }) {
  return (
    <Menu
      runbooks={menu?.runbooks ?? []}
      recentRuns={menu?.recentRuns}
      {...(menu?.listRuns ? { listRuns: menu.listRuns } : {})}
      records={menu?.records}
      notice={[...(menu?.notice ?? []), ...(snapshot.menuNotice ? [snapshot.menuNotice] : [])]}
      {...(menu?.drillHistory ? { drillHistory: menu.drillHistory } : {})}
      initialIndex={session.menuCursor}
      onMove={(index) => (session.menuCursor = index)}
      onRun={(name) => session.start(name)}
      onQuit={() => session.quit()}
    />
  );
}

/** The run in progress (or just finished): its live step, the prompt, the stop dialog, the summary. */
function LiveRun({
  session,
  snapshot,
  prompt,
}: {
  session: RunSession;
  snapshot: Snapshot;
  prompt: AnyPendingPrompt | undefined;
}) {
  const dialog = snapshot.interrupt === 'asking' ? snapshot.dialog : undefined;
  const done = snapshot.phase === 'done';
  return (
    <>
      <RunView
        run={snapshot.run}
        notice={done ? undefined : NOTICE[snapshot.interrupt]}
        finished={done}
        waiting={Boolean(prompt) && !done}
        withoutHistory
      />
      {snapshot.phase === 'starting' && !snapshot.run.header && snapshot.interrupt === 'idle' ? (
        <Text>
          <Spinner type="dots" /> starting {snapshot.runbook}…
        </Text>
      ) : null}
      {prompt && !done ? <PromptView prompt={prompt} isActive={!dialog} /> : null}
      {dialog ? (
        <InterruptDialog
          title={dialog.title}
          destructive={dialog.destructive}
          onInterrupt={dialog.onInterrupt}
          {...(snapshot.run.phase ? { phase: snapshot.run.phase } : {})}
          onStop={() => session.confirmStop()}
          onContinue={() => session.continueRun()}
        />
      ) : null}
      {done ? <Summary {...summarise(snapshot)} /> : null}
    </>
  );
}

export function App({ session, prompts, menu }: AppProps) {
  const snapshot = useSyncExternalStore(session.subscribe, session.getSnapshot);
  const prompt = useSyncExternalStore(prompts.subscribe, prompts.current);
  const { exit } = useApp();
  useInput((input, key) => {
    if (key.ctrl && input === 'c') session.ctrlC();
  });
  const { phase } = snapshot;
  // Leave once the summary is on screen: Ink keeps the last frame and restores the terminal.
  useEffect(() => {
    if (phase === 'done') exit();
  }, [phase, exit]);

  const transcript = <Transcript snapshot={snapshot} />;
  if (phase === 'done' && snapshot.quiet) return transcript;
  return (
    <Box flexDirection="column">
      {transcript}
      {phase === 'menu' ? (
        <MenuView session={session} snapshot={snapshot} menu={menu} />
      ) : (
        <LiveRun session={session} snapshot={snapshot} prompt={prompt} />
      )}
    </Box>
  );
}
