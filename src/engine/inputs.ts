/**
 * Resolves a runbook's declared inputs: command line and answers file, then the named setting, then the
 * runbook's default; only what is still missing is asked for, and headless a missing required input fails
 * at once with exit code 3 naming it. Secret inputs go to the run's secret store, never into `inputs`.
 *
 * On --resume the journal's inputs are the run's answers: an input the run asked for is asked again with the
 * run's answer as the default, any other keeps the run's answer, and a different answer (typed, or given on
 * the command line, the answers file or this invocation's environment) is taken only once confirmed.
 */
import { AnswerRequiredError, UsageError } from '../core/errors.js';
import type { SecretStore } from './action.js';
import { confirmChangedAnswer } from './earlier-answer.js';
import type { EngineOptions } from './options.js';
import type { Runbook, RunbookInput } from './runbook-schema.js';

type InputOptions = Pick<
  EngineOptions,
  'inputValues' | 'settings' | 'interactor' | 'mode' | 'dryRun' | 'resume' | 'namedByInvocation'
>;

export async function resolveInputs(
  runbook: Runbook,
  options: InputOptions,
  secrets: SecretStore,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const inputs: Record<string, unknown> = {};
  for (const input of runbook.inputs) {
    if (input.kind === 'secret') {
      await resolveSecret(input, options, secrets, signal);
      continue;
    }
    const earlier = options.resume?.header.inputs[input.name];
    const value =
      earlier === undefined
        ? await freshValue(input, options, signal)
        : await resumedValue(input, earlier, options, signal);
    if (value === undefined) {
      if (input.required && !options.dryRun) {
        throw new AnswerRequiredError(
          input.name,
          `the input "${input.name}" (${messageOf(input)}) is required and was not given`,
          `give it in --answers (${input.name}: <value>)${input.setting ? ` or set ${input.setting}` : ''}`,
        );
      }
      continue;
    }
    if (input.kind === 'choice' && input.options && !input.options.includes(value)) {
      throw new UsageError(`"${value}" is not a valid ${input.name}`, `choose one of: ${input.options.join(', ')}`);
    }
    inputs[input.name] = value;
  }
  return inputs;
}

function messageOf(input: RunbookInput): string {
  return input.message ?? input.name;
}

function canAsk(options: InputOptions): boolean {
  return options.mode === 'interactive' && !options.dryRun;
}

function fromSetting(input: RunbookInput, options: InputOptions): string | undefined {
  return input.setting ? options.settings.get(input.setting) : undefined;
}

async function resolveSecret(
  input: RunbookInput,
  options: InputOptions,
  secrets: SecretStore,
  signal: AbortSignal,
): Promise<void> {
  // Never journaled: a resumed run asks again.
  let value = fromSetting(input, options);
  if (value === undefined && canAsk(options))
    value = await options.interactor.secret({ kind: 'secret', name: input.name, message: messageOf(input) }, signal);
  if (value === undefined && input.required && !options.dryRun) {
    throw new AnswerRequiredError(
      input.name,
      `the secret "${input.name}" is required and was not given`,
      input.setting ? `set ${input.setting} in the environment` : 'run interactively to type it',
    );
  }
  if (value !== undefined) secrets.set(input.name, value);
}

/** A new run: the command line, the setting, the default, else the operator's answer. */
async function freshValue(
  input: RunbookInput,
  options: InputOptions,
  signal: AbortSignal,
): Promise<string | undefined> {
  const value = options.inputValues[input.name] ?? fromSetting(input, options) ?? input.default;
  if (value !== undefined || !canAsk(options)) return value;
  return ask(input, options, undefined, signal);
}

/**
 * A resumed run: the run's answer, unless this invocation gives another explicitly (the command line, the answers
 * file, a setting in its own environment) or the operator, asked again as the run asked, chooses another.
 */
async function resumedValue(
  input: RunbookInput,
  earlier: string,
  options: InputOptions,
  signal: AbortSignal,
): Promise<string> {
  const setting = fromSetting(input, options);
  const namedHere = input.setting !== undefined && options.namedByInvocation.has(input.setting);
  const explicit = options.inputValues[input.name] ?? (namedHere ? setting : undefined);
  let chosen = explicit;
  // The run asked for it (no setting, no default): ask again, its answer the default.
  if (chosen === undefined && setting === undefined && input.default === undefined && canAsk(options))
    chosen = await ask(input, options, earlier, signal);
  if (chosen === undefined || options.dryRun) return chosen ?? earlier;
  const change = { name: input.name, earlier, chosen };
  return (await confirmChangedAnswer(options.interactor, change, signal)).value;
}

async function ask(
  input: RunbookInput,
  options: InputOptions,
  earlier: string | undefined,
  signal: AbortSignal,
): Promise<string> {
  const message = messageOf(input);
  const asked = earlier === undefined ? message : `${message} (the run being resumed answered ${earlier || '(empty)'})`;
  const withDefault = earlier === undefined ? {} : { default: earlier };
  if (input.kind !== 'choice')
    return options.interactor.text({ kind: 'text', name: input.name, message: asked, ...withDefault }, signal);
  const choices = (input.options ?? []).map((o) => ({
    value: o,
    label: o === earlier ? `${o}  ← the run's answer` : o,
  }));
  return options.interactor.choose(
    { kind: 'choice', name: input.name, message: asked, options: choices, ...withDefault },
    signal,
  );
}
