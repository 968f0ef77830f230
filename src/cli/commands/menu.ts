/** `obexal-runbook` alone: the interactive menu on a terminal; the usage text otherwise. */
import { plainSettingsOf } from '../../core/parsed-settings.js';
import { listRuns } from '../../engine/journal.js';
import { startRun } from '../../engine/engine.js';
import type { StartRun } from '../../engine/run-control.js';
import { listRecords } from '../../records/store.js';
import type { CliOptions } from '../args.js';
import { USAGE } from '../args.js';
import type { Invocation } from '../environment.js';
import { builtinRunbooks, checkRunFolders, isHeadless, loadResume, loadRunbook } from '../run-command.js';
import { actionCatalogue } from '../action-catalogue.js';
import { parseResume } from '../../engine/resume-request.js';
import { recordsDirOf, recordWriter } from '../record-writer.js';
import { TOOL_VERSION } from '../../core/version.js';

/** Runbooks that change production in a change window: starting one from the menu asks once more. */
const CHANGE_WINDOW = new Set(['key-rotation', 'rollback', 'restore']);

export interface MenuOptions {
  /** After a run, back to the menu (practice). */
  returnToMenu?: boolean;
  /** Lines under the menu's title (the practice tour). */
  notice?: string[];
}

/** Nothing points at a database: say where to practise instead of leaving the operator at a blank menu. */
function nothingConfigured(invocation: Invocation): string[] {
  if (plainSettingsOf(invocation.settings).database.url) return [];
  return ['Nothing configured. Practise safely in a sandbox: obexal-runbook practice'];
}

/** The ten newest records, one line each (none when the records folder is not there yet). */
async function recordLines(invocation: Invocation): Promise<string[]> {
  try {
    return (await listRecords(recordsDirOf(invocation.settings)))
      .slice(0, 10)
      .map((r) => `${r.finishedAt}  ${r.runbook}  ${r.outcome}  ${r.file}`);
  } catch {
    return []; // no BACKUP_DIR yet: the menu shows no records
  }
}

async function drillHistoryOf(invocation: Invocation) {
  try {
    const recordsDir = recordsDirOf(invocation.settings);
    const [{ loadDrillHistory }, { drillHistoryView }] = await Promise.all([
      import('../../drill/history-load.js'),
      import('../../drill/history-view.js'),
    ]);
    return drillHistoryView(await loadDrillHistory(recordsDir), recordsDir);
  } catch {
    return undefined; // no BACKUP_DIR yet: the menu works without the history
  }
}

/** Starts a run chosen in the menu (or, as "<runbook> --resume <run id>", in Recent runs). */
function menuStartRun(invocation: Invocation): StartRun {
  return async (request, interactor, listener) => {
    const { runbook: name, resume } = parseResume(request);
    checkRunFolders(invocation);
    const runbook = await loadRunbook(name);
    return startRun({
      runbook,
      actions: actionCatalogue(),
      settings: invocation.settings,
      interactor,
      mode: 'interactive',
      dryRun: false,
      inputValues: {},
      namedByInvocation: invocation.namedByInvocation,
      runsDir: invocation.runsDir,
      ...(resume ? { resume: loadResume(invocation, resume, runbook) } : {}),
      writeRecord: recordWriter(invocation.settings),
      toolVersion: TOOL_VERSION,
      listeners: [listener],
    });
  };
}

export async function menuCommand(cli: CliOptions, invocation: Invocation, options: MenuOptions = {}): Promise<number> {
  if (isHeadless(cli, process.env)) {
    process.stderr.write(`${USAGE}\n\nrunbooks: ${builtinRunbooks().join(', ')}\n`);
    return 2;
  }
  const runbooks = await Promise.all(
    builtinRunbooks().map(async (name) => {
      const book = await loadRunbook(name);
      return { name, title: book.title, description: book.description, changeWindow: CHANGE_WINDOW.has(name) };
    }),
  );
  const recent = () =>
    listRuns(invocation.runsDir)
      .slice(0, 10)
      .map((r) => ({
        runId: r.runId,
        runbook: r.runbook,
        state: r.state,
        line: `${r.runId}  ${r.runbook}  ${r.state}`,
      }));
  const recentRuns = recent().map((r) => r.line);
  const records = await recordLines(invocation);
  const drillHistory = await drillHistoryOf(invocation);
  const { runInteractive } = await import('../../ui/interactive.js');
  const notice = [...(options.notice ?? []), ...nothingConfigured(invocation)];
  return runInteractive({
    startRun: menuStartRun(invocation),
    returnToMenu: options.returnToMenu ?? false,
    menu: { runbooks, recentRuns, listRuns: recent, records, notice, ...(drillHistory ? { drillHistory } : {}) },
  });
}
