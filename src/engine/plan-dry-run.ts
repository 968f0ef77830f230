/**
 * The line --dry-run gives each step as it goes. A dry run runs only read-only steps, so the output of every other
 * step is unknown, and so is the output of a read-only step that took such an output: a condition on an unknown
 * output is said to be undecided (never "condition not met"), and a description never shows an unknown value as
 * "undefined" but names the step it comes from.
 */
import type { AnyAction } from './action.js';
import { DEPENDS_ON_EARLIER_STEPS, describeContext } from './plan.js';
import type { Run } from './run-state.js';
import type { RunbookStep } from './runbook-schema.js';
import { conditionParts, parseCondition, referencesIn, resolveTemplates } from './template.js';

const EMBEDDED = /\$\{\s*steps\.([^.}\s]+)((?:\.[^}\s]*)?)\s*\}/g;
const UNTRUE = /\bundefined\b|\[object Object\]|\bNaN\b/;

/** The ids of the steps a list of references takes output from. */
function stepIds(references: string[]): string[] {
  return references.filter((r) => r.startsWith('steps.')).map((r) => r.split('.')[1] ?? '');
}

function conditionSteps(step: RunbookStep): string[] {
  if (!step.when) return [];
  return stepIds(conditionParts(step.when).map((part) => parseCondition(part)?.reference ?? ''));
}

/** The step whose unknown output `ids` take, traced back to the one a dry run did not run. */
function unknownSource(run: Run, ids: string[]): string | undefined {
  for (const id of ids) {
    const source = run.state.unknownInDryRun.get(id)?.source;
    if (source !== undefined) return source;
  }
  return undefined;
}

/** Why a dry run cannot say whether the step runs, or undefined when its condition can be evaluated. */
export function undecidedInDryRun(run: Run, step: RunbookStep): string | undefined {
  const source = unknownSource(run, conditionSteps(step));
  if (source === undefined) return undefined;
  run.state.unknownInDryRun.set(step.id, { source, undecided: true });
  const why = `it follows from step "${source}", which does not run`;
  return `dry run: runs only if ${step.when}, not known in a dry run (${why})`;
}

/** The skip line of a step a dry run does not run: what it would do, as far as known. */
export function wouldInDryRun(run: Run, step: RunbookStep, action: AnyAction): string {
  run.state.unknownInDryRun.set(step.id, { source: step.id, undecided: false });
  return `dry run: would ${describeAsFarAsKnown(run, step, action)}`;
}

/** A read-only step that runs in the dry run on an unknown output gives an output that is not known either. */
export function noteReadOnlyInDryRun(run: Run, step: RunbookStep): void {
  const source = unknownSource(run, stepIds(referencesIn(step.with)));
  if (source !== undefined) run.state.unknownInDryRun.set(step.id, { source, undecided: false });
}

/**
 * A read-only step that failed in a dry run for want of an output the dry run does not have (the dump a PITR export
 * would write) does not stop the dry run: it is said what it would do, and why it could not run here.
 */
export function unrunnableInDryRun(
  run: Run,
  step: RunbookStep,
  action: AnyAction,
  result: { outcome: string },
): string | undefined {
  const source = run.state.unknownInDryRun.get(step.id)?.source;
  if (result.outcome !== 'failed' || source === undefined) return undefined;
  // why it failed is left out: the failure of a step given nothing says nothing of the real run
  const why = `it takes the output of step "${source}", which does not run`;
  return `dry run: would ${describeAsFarAsKnown(run, step, action)} (not run in a dry run: ${why})`;
}

function describeAsFarAsKnown(run: Run, step: RunbookStep, action: AnyAction): string {
  const taken = stepIds(referencesIn(step.with));
  const unknown = unknownSource(run, taken);
  const fallback = unknown === undefined ? `run ${step.action}` : `run ${step.action} ${DEPENDS_ON_EARLIER_STEPS}`;
  // A step that may not run at all gives nothing to describe with: any line would guess (swap or in place?).
  const fromUndecided = taken.some((id) => run.state.unknownInDryRun.get(id)?.undecided);
  if (!action.describe || fromUndecided) return fallback;
  const raw = resolveTemplates(withPlaceholders(run, step.with), run.scope);
  const parsed = action.params.safeParse(raw);
  try {
    const line = action.describe(
      (parsed.success ? parsed.data : raw) as never,
      describeContext(run.options.settings, run.state.inputs, run.state.steps),
    );
    return UNTRUE.test(line) ? fallback : line;
  } catch {
    // a description that needs a value the dry run does not have: the action's name and why
    return fallback;
  }
}

/** `${steps.<id>.x}` of a step whose output is unknown becomes `<id.x>`, the name of what it stands for. */
function withPlaceholders(run: Run, value: unknown): unknown {
  if (typeof value === 'string')
    return value.replace(EMBEDDED, (whole, id: string, path: string) =>
      run.state.unknownInDryRun.has(id) ? `<${id}${path}>` : whole,
    );
  if (Array.isArray(value)) return value.map((v) => withPlaceholders(run, v));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPlaceholders(run, v)]));
  return value;
}
