/**
 * The interactive entry point: renders the menu (or starts the named runbook), runs it through `startRun` with
 * the Ink interactor, shows the summary and resolves with the exit code. The terminal is restored on every
 * exit path (summary, quit, signal, a crash of the UI itself).
 */
import './no-colour.js';
import { Box, render } from 'ink';
import { ExitCode } from '../core/errors.js';
import type { StartRun } from '../engine/run-control.js';
import { App, type MenuData } from './App.js';
import { DrillHistoryFooter } from './drill-history.js';
import { DrillHistoryTap } from './drill-history-tap.js';
import { InkInteractor } from './ink-interactor.js';
import { RunSession } from './run-session.js';
import { endStartupLine } from '../core/startup-line.js';

export interface InteractiveOptions {
  startRun: StartRun;
  /** Start this runbook at once instead of showing the menu. */
  runbook?: string;
  menu?: MenuData;
  /** After a run, back to the menu (practice); Quit or Ctrl+C twice at the menu leaves. */
  returnToMenu?: boolean;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

const SHOW_CURSOR = '\u001B[?25h';

export async function runInteractive(options: InteractiveOptions): Promise<number> {
  const interactor = new InkInteractor();
  // The drill's history panel listens to the same events (it shows nothing for other runbooks).
  const drillHistory = new DrillHistoryTap();
  const returnToMenu = options.returnToMenu ?? false;
  const session = new RunSession(drillHistory.wrap(options.startRun), interactor, { returnToMenu });
  const stdout = options.stdout ?? process.stdout;
  // In raw mode Ctrl+C arrives as a key; these are signals sent from outside (kill, systemd, a closing tmux).
  const onSigterm = () => session.terminate('SIGTERM');
  const onSigint = () => session.terminate('SIGINT');
  process.on('SIGTERM', onSigterm);
  process.on('SIGINT', onSigint);

  let uiFailed = false;
  // Started before the first frame, so that a named runbook never flashes the menu.
  if (options.runbook) session.start(options.runbook);
  endStartupLine();
  const tree = (
    <Box flexDirection="column">
      <App session={session} prompts={interactor.prompts} menu={options.menu} />
      <DrillHistoryFooter tap={drillHistory} />
    </Box>
  );
  const instance = render(tree, {
    stdout,
    stdin: options.stdin ?? process.stdin,
    stderr: options.stderr ?? process.stderr,
    exitOnCtrlC: false,
  });
  try {
    await instance.waitUntilExit();
  } catch {
    uiFailed = true;
  } finally {
    instance.unmount();
    instance.cleanup();
    if (stdout.isTTY) stdout.write(SHOW_CURSOR);
  }
  // The UI is gone before the run ended (it failed, and Ink has shown why): the run must not go on with
  // nobody to answer it, so it is stopped as Ctrl+C would, and its cleanup awaited.
  if (session.getSnapshot().phase !== 'done') session.terminate('SIGINT');
  try {
    const code = await session.finished();
    return uiFailed && code === ExitCode.ok ? ExitCode.stepFailed : code;
  } finally {
    process.off('SIGTERM', onSigterm);
    process.off('SIGINT', onSigint);
  }
}
