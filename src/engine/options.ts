/** What the caller of `startRun` provides: the runbook, the actions it may name, settings, the interactor, hooks. */
import type { Settings } from '../core/settings.js';
import type { ActionCatalogue } from './catalogue.js';
import type { RunEventListener, RunMode } from './events.js';
import type { Interactor } from './interactor.js';
import type { JournalReplay } from './journal.js';
import type { RunRecordDraft } from './record-builder.js';
import type { Runbook } from './runbook-schema.js';

export interface RecordWriter {
  /** `copy`: how the copy to the bucket went, when there is one to report (a warning, never a failure). */
  (record: RunRecordDraft): Promise<{ path: string; verified: boolean; copy?: { ok: boolean; text: string } }>;
}

export interface EngineOptions {
  runbook: Runbook;
  /** The actions the runbook's steps name (the command line builds it; tests pass fakes). */
  actions: ActionCatalogue;
  settings: Settings;
  interactor: Interactor;
  mode: RunMode;
  dryRun: boolean;
  /** Values given on the command line or in the answers file, by input name. */
  inputValues: Record<string, string>;
  /** Setting names this invocation named itself (its environment or flags), for DESIGN §3's confirmation rule. */
  namedByInvocation: ReadonlySet<string>;
  runsDir: string;
  resume?: JournalReplay;
  writeRecord?: RecordWriter;
  /** How the operator names this runbook on the command line (for the `--resume` command); its name by default. */
  command?: string;
  toolVersion: string;
  listeners: RunEventListener[];
}
