/**
 * Expands a `uses: <runbook>` block into the included runbook's steps: its inputs replaced by the values the block
 * gives, its step ids prefixed (and every reference to them), its titles prefixed, the block's `when` put on each.
 */
import type { RunbookData, RunbookStep, RunbookUses } from './runbook-schema.js';
import { conditionParts, parseCondition } from './template.js';

export interface Expansion {
  steps: RunbookStep[];
  problems: string[];
}

const EMBEDDED = /\$\{([^}]+)\}/g;
const WHOLE = /^\$\{([^}]+)\}$/;

class Rewriter {
  readonly problems: string[] = [];
  constructor(
    private readonly block: RunbookUses,
    private readonly ids: ReadonlySet<string>,
    private readonly prefix: string,
  ) {}

  id(stepId: string): string {
    return `${this.prefix}${stepId}`;
  }

  /** A reference of the included runbook as the including runbook writes it; an input's given value. */
  private reference(reference: string): { input: unknown } | { reference: string } {
    const [root, first, ...rest] = reference.split('.');
    if (root === 'inputs' && first !== undefined) return { input: this.block.with[first] };
    if (root === 'steps' && first !== undefined && this.ids.has(first))
      return { reference: ['steps', this.id(first), ...rest].join('.') };
    return { reference };
  }

  value(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.value(v));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)]));
    return value;
  }

  private text(value: string): unknown {
    const whole = WHOLE.exec(value);
    if (whole) {
      const found = this.reference((whole[1] as string).trim());
      return 'input' in found ? found.input : `\${${found.reference}}`;
    }
    return value.replace(EMBEDDED, (_, ref: string) => {
      const found = this.reference(ref.trim());
      if (!('input' in found)) return `\${${found.reference}}`;
      return typeof found.input === 'string' ? found.input : JSON.stringify(found.input ?? '');
    });
  }

  /** The step's own condition with its references rewritten, joined to the block's (`block && own`). */
  condition(step: RunbookStep): string | undefined {
    if (!step.when) return this.block.when;
    const own = conditionParts(step.when).map((part) => this.conditionPart(step, part));
    return [...(this.block.when ? [this.block.when] : []), ...own].join(' && ');
  }

  private conditionPart(step: RunbookStep, text: string): string {
    const parsed = parseCondition(text);
    if (!parsed) return text;
    let reference: string;
    const found = this.reference(parsed.reference);
    if ('input' in found) {
      const whole = typeof found.input === 'string' ? WHOLE.exec(found.input) : null;
      if (!whole) {
        this.problems.push(`step "${step.id}" has a condition on an input: give that input as one \${reference}`);
        return text;
      }
      reference = (whole[1] as string).trim();
    } else reference = found.reference;
    return `${parsed.negate ? '!' : ''}${reference}${parsed.op ? ` ${parsed.op} '${parsed.literal}'` : ''}`;
  }
}

function selection(block: RunbookUses, included: RunbookData, problems: string[]): RunbookStep[] {
  const ids = new Set(included.steps.map((s) => s.id));
  for (const id of [...(block.only ?? []), ...(block.except ?? [])])
    if (!ids.has(id)) problems.push(`runbook "${included.name}" has no step "${id}"`);
  if (block.only) return included.steps.filter((s) => block.only?.includes(s.id));
  return included.steps.filter((s) => !block.except?.includes(s.id));
}

function inputProblems(block: RunbookUses, included: RunbookData): string[] {
  const declared = new Set(included.inputs.map((i) => i.name));
  const problems = included.inputs
    .filter((input) => !(input.name in block.with))
    .map((input) => `input "${input.name}" of runbook "${included.name}" is not given (with: ${input.name}: …)`);
  for (const name of Object.keys(block.with))
    if (!declared.has(name)) problems.push(`runbook "${included.name}" has no input "${name}"`);
  return problems;
}

export function expandUses(block: RunbookUses, included: RunbookData): Expansion {
  const problems = inputProblems(block, included);
  const rewriter = new Rewriter(block, new Set(included.steps.map((s) => s.id)), block.prefix ?? `${block.id}-`);
  const steps = selection(block, included, problems).map((step): RunbookStep => {
    const when = rewriter.condition(step);
    const expanded: RunbookStep = {
      ...step,
      id: rewriter.id(step.id),
      title: block.title ? `${block.title}: ${step.title}` : step.title,
      with: rewriter.value(step.with) as Record<string, unknown>,
    };
    if (step.confirm !== undefined) expanded.confirm = rewriter.value(step.confirm) as string;
    if (when !== undefined) expanded.when = when;
    else delete expanded.when;
    return expanded;
  });
  return { steps, problems: [...problems, ...rewriter.problems] };
}
