/** The root of the interactive UI: the menu, or the run with its prompt, interrupt dialog and summary. */
import { Box, Text, useApp, useInput } from 'ink';
import Spinner from 'ink-spinner';
import { useEffect, useSyncExternalStore } from 'react';
import type { StepOutcome } from '../engine/events.js';
import { InterruptDialog } from './components/InterruptDialog.js';
import { Menu, type MenuRunbook } from './components/Menu.js';
import type { DrillHistoryView } from '../drill/history-view.js';
import { RunView } from './components/RunView.js';
import { Summary } from './components/Summary.js';
import type { PromptStore } from './prompt-store.js';
import { PromptView } from './prompts/PromptView.js';
import type { RunState } from './run-state.js';
import type { InterruptStage, RunSession } from './run-session.js';

export interface MenuData {
  runbooks: MenuRunbook[];
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

function countOutcomes(run: RunState): Partial<Record<StepOutcome, number>> {
  const counts: Partial<Record<StepOutcome, number>> = {};
  for (const entry of run.log) if (entry.kind === 'step') counts[entry.outcome] = (counts[entry.outcome] ?? 0) + 1;
  return counts;
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

  if (phase === 'menu') {
    return (
      <Menu
        runbooks={menu?.runbooks ?? []}
        recentRuns={menu?.recentRuns}
        records={menu?.records}
        {...(menu?.drillHistory ? { drillHistory: menu.drillHistory } : {})}
        onRun={(name) => session.start(name)}
        onQuit={() => session.quit()}
      />
    );
  }
  if (phase === 'done' && snapshot.quiet) return null;

  const dialog = snapshot.interrupt === 'asking' ? snapshot.dialog : undefined;
  const done = phase === 'done';
  return (
    <Box flexDirection="column">
      <RunView run={snapshot.run} notice={done ? undefined : NOTICE[snapshot.interrupt]} finished={done} />
      {phase === 'starting' && !snapshot.run.header && snapshot.interrupt === 'idle' ? (
        <Text>
          <Spinner type="dots" /> starting {snapshot.runbook}…
        </Text>
      ) : null}
      {prompt && !done ? <PromptView prompt={prompt} isActive={!dialog} /> : null}
      {dialog ? (
        <InterruptDialog
          title={dialog.title}
          onInterrupt={dialog.onInterrupt}
          onStop={() => session.confirmStop()}
          onContinue={() => session.continueRun()}
        />
      ) : null}
      {done ? (
        <Summary
          runbook={snapshot.runbook}
          result={snapshot.result}
          failure={snapshot.failure}
          exitCode={snapshot.exitCode ?? 0}
          durationMs={snapshot.run.finished?.durationMs}
          counts={countOutcomes(snapshot.run)}
        />
      ) : null}
    </Box>
  );
}
