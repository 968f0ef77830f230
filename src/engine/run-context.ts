/** Builds each step's ActionContext and holds what lives for the whole run: secrets, confirmations, cleanup. */
import { AnswerRequiredError } from '../core/errors.js';
import { makePrivateDir, removePrivateDir } from '../core/private-dir.js';
import { addSecret, redact } from '../core/redact.js';
import { parsedSettingsOf } from '../core/parsed-settings.js';
import type { Settings } from '../core/settings.js';
import type { ActionContext, SecretStore, StepState } from './action.js';
import type { RunEvent, RunMode } from './events.js';
import type { Interactor } from './interactor.js';

interface FactoryOptions {
  runId: string;
  runbook: string;
  mode: RunMode;
  dryRun: boolean;
  resumed: boolean;
  settings: Settings;
  interactor: Interactor;
  namedByInvocation: ReadonlySet<string>;
  emit(event: RunEvent): void;
  steps: Record<string, StepState>;
}

export class RunContextFactory {
  private readonly secretValues = new Map<string, string>();
  private readonly confirmations = new Set<string>();
  private readonly cleanups: { fn: () => Promise<void> | void; label: string }[] = [];
  private privateDirPromise: Promise<string> | undefined;
  private readonly interactor: Interactor;

  readonly secrets: SecretStore = {
    get: (name) => this.secretValues.get(name),
    set: (name, value) => {
      addSecret(value);
      this.secretValues.set(name, value);
    },
  };

  constructor(private readonly options: FactoryOptions) {
    this.interactor = options.dryRun ? neverPrompt(options.interactor) : options.interactor;
  }

  /** 'stopped' once APP_STOP_COMMAND ran (or was tried) and no start followed: the run's ending says so. */
  applicationState: 'stopped' | 'started' | undefined;

  hasConfirmation(): boolean {
    return this.confirmations.size > 0;
  }

  make(stepId: string, signal: AbortSignal, inputs: Record<string, unknown>, previous?: StepState): ActionContext {
    const o = this.options;
    const at = () => new Date().toISOString();
    return {
      runId: o.runId,
      runbook: o.runbook,
      stepId,
      mode: o.mode,
      dryRun: o.dryRun,
      resumed: o.resumed,
      signal,
      settings: o.settings,
      get config() {
        return parsedSettingsOf(o.settings);
      },
      interactor: this.interactor,
      inputs,
      steps: o.steps,
      ...(previous ? { previous } : {}),
      output: (text, stream = 'info', kind) =>
        o.emit({
          type: 'step-output',
          runId: o.runId,
          stepId,
          stream,
          text: redact(text),
          ...(kind ? { kind } : {}),
          at: at(),
        }),
      progress: (update) => o.emit({ type: 'step-progress', runId: o.runId, stepId, ...update, at: at() }),
      privateDir: () => {
        this.privateDirPromise ??= makePrivateDir(o.runId).then((dir) => {
          this.cleanups.push({ fn: () => removePrivateDir(dir), label: 'remove the private folder' });
          return dir;
        });
        return this.privateDirPromise;
      },
      onCleanup: (fn, label) => this.cleanups.push({ fn, label }),
      invocationNamed: (name) => o.namedByInvocation.has(name),
      secrets: this.secrets,
      recordConfirmation: (token) => this.confirmations.add(token),
      noteApplication: (state) => (this.applicationState = state),
    };
  }

  /** Runs every registered cleanup, last first; returns warnings for those that failed. */
  async cleanup(): Promise<string[]> {
    const warnings: string[] = [];
    while (this.cleanups.length > 0) {
      const { fn, label } = this.cleanups.pop()!;
      try {
        await fn();
      } catch (error) {
        warnings.push(redact(`cleanup "${label}" failed: ${error instanceof Error ? error.message : String(error)}`));
      }
    }
    return warnings;
  }
}

/** Under --dry-run nothing may prompt: a step that would ask is reported instead. */
function neverPrompt(inner: Interactor): Interactor {
  const refuse = (name: string): never => {
    throw new AnswerRequiredError(name, `dry run: would ask for "${name}"`, 'run without --dry-run to answer it');
  };
  return {
    mode: inner.mode,
    choose: async (r) => refuse(r.name),
    text: async (r) => refuse(r.name),
    secret: async (r) => refuse(r.name),
    confirm: async (r) => refuse(r.name),
    checklist: async (r) => refuse(r.name),
  };
}
