/** The plan shown before a run and by --dry-run: every step with its parameters resolved as far as known. */
import { findAction } from '../actions/registry.js';
import type { PlannedStep } from './events.js';
import type { Runbook } from './runbook-schema.js';
import { evaluateCondition, parseCondition, resolveTemplates, type TemplateScope } from './template.js';

export function planSteps(runbook: Runbook, scope: TemplateScope): PlannedStep[] {
  return runbook.steps.map((step) => {
    const action = findAction(step.action);
    let plan = step.title;
    try {
      const params = resolveTemplates(step.with, scope);
      if (action?.describe)
        plan = action.describe(action.params.parse(params), {
          settings: undefined as never,
          inputs: scope.inputs,
          steps: scope.steps as never,
        });
    } catch {
      plan = `${step.action} (parameters depend on earlier steps)`;
    }
    let willRun: PlannedStep['willRun'] = true;
    if (step.when) {
      const condition = parseCondition(step.when);
      willRun =
        condition && !condition.reference.startsWith('steps.') ? evaluateCondition(step.when, scope) : 'depends';
    }
    return { id: step.id, title: step.title, action: step.action, destructive: step.destructive, plan, willRun };
  });
}
