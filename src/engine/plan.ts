/**
 * The plan shown before a run and by --dry-run: every step with its parameters resolved as far as known. A step
 * whose parameters or condition take an earlier step's output says so; any other step is described by its action
 * with the real settings and inputs, and a description that fails says why instead of being hidden.
 */
import { messageOf } from '../core/errors.js';
import { parsedSettingsOf } from '../core/parsed-settings.js';
import type { Settings } from '../core/settings.js';
import type { ActionContext, AnyAction } from './action.js';
import type { ActionCatalogue } from './catalogue.js';
import type { PlannedStep } from './events.js';
import type { RunbookStep, Runbook } from './runbook-schema.js';
import { evaluateCondition, parseCondition, referencesIn, resolveTemplates, type TemplateScope } from './template.js';

export interface PlanSources {
  actions: ActionCatalogue;
  settings: Settings;
}

export const DEPENDS_ON_EARLIER_STEPS = '(parameters depend on earlier steps)';

export function planSteps(runbook: Runbook, scope: TemplateScope, sources: PlanSources): PlannedStep[] {
  return runbook.steps.map((step) => ({
    id: step.id,
    title: step.title,
    action: step.action,
    destructive: step.destructive,
    plan: planLine(step, sources.actions.find(step.action), scope, sources.settings),
    willRun: willRun(step, scope),
  }));
}

/** True when the step's parameters take the output of a step that has not run yet. */
export function takesEarlierOutput(step: RunbookStep, scope: TemplateScope): boolean {
  return referencesIn(step.with).some((reference) => {
    const [root, id] = reference.split('.');
    return root === 'steps' && id !== undefined && scope.steps[id] === undefined;
  });
}

function planLine(step: RunbookStep, action: AnyAction | undefined, scope: TemplateScope, settings: Settings): string {
  if (!action) return `${step.action}: no such action`;
  if (takesEarlierOutput(step, scope)) return `${step.action} ${DEPENDS_ON_EARLIER_STEPS}`;
  if (!action.describe) return step.title;
  try {
    const params: unknown = action.params.parse(resolveTemplates(step.with, scope));
    return action.describe(params, describeContext(settings, scope.inputs, scope.steps as never));
  } catch (error) {
    return `${step.title} (cannot be described yet: ${messageOf(error).split('\n')[0]})`;
  }
}

function willRun(step: RunbookStep, scope: TemplateScope): PlannedStep['willRun'] {
  if (!step.when) return true;
  const condition = parseCondition(step.when);
  if (!condition || condition.reference.startsWith('steps.')) return 'depends';
  return evaluateCondition(step.when, scope);
}

/** What `describe()` reads; `config` is parsed on first read, so a step that reads no setting cannot fail on one. */
export function describeContext(
  settings: Settings,
  inputs: ActionContext['inputs'],
  steps: ActionContext['steps'],
): Pick<ActionContext, 'settings' | 'config' | 'inputs' | 'steps'> {
  return {
    settings,
    get config() {
      return parsedSettingsOf(settings);
    },
    inputs,
    steps,
  };
}
