/**
 * Resolves a runbook's declared inputs: command line and answers file, then the named setting, then the
 * runbook's default; only what is still missing is asked for, and headless a missing required input fails
 * at once with exit code 3 naming it. Secret inputs go to the run's secret store, never into `inputs`.
 */
import { AnswerRequiredError, UsageError } from '../core/errors.js';
import type { SecretStore } from './action.js';
import type { EngineOptions } from './options.js';
import type { Runbook } from './runbook-schema.js';

export async function resolveInputs(
  runbook: Runbook,
  options: Pick<EngineOptions, 'inputValues' | 'settings' | 'interactor' | 'mode' | 'dryRun' | 'resume'>,
  secrets: SecretStore,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const inputs: Record<string, unknown> = {};
  const canAsk = options.mode === 'interactive' && !options.dryRun;
  for (const input of runbook.inputs) {
    const message = input.message ?? input.name;
    const fromSetting = input.setting ? options.settings.get(input.setting) : undefined;
    if (input.kind === 'secret') {
      let value = fromSetting;
      if (value === undefined && canAsk)
        value = await options.interactor.secret({ kind: 'secret', name: input.name, message }, signal);
      if (value === undefined && input.required && !options.dryRun) {
        throw new AnswerRequiredError(
          input.name,
          `the secret "${input.name}" is required and was not given`,
          input.setting ? `set ${input.setting} in the environment` : 'run interactively to type it',
        );
      }
      if (value !== undefined) secrets.set(input.name, value);
      continue;
    }
    let value: string | undefined =
      options.inputValues[input.name] ?? options.resume?.header.inputs[input.name] ?? fromSetting ?? input.default;
    if (value === undefined && canAsk) {
      value =
        input.kind === 'choice'
          ? await options.interactor.choose(
              {
                kind: 'choice',
                name: input.name,
                message,
                options: (input.options ?? []).map((o) => ({ value: o, label: o })),
              },
              signal,
            )
          : await options.interactor.text({ kind: 'text', name: input.name, message }, signal);
    }
    if (value === undefined) {
      if (input.required && !options.dryRun) {
        throw new AnswerRequiredError(
          input.name,
          `the input "${input.name}" (${message}) is required and was not given`,
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
