/**
 * `${inputs.name}`, `${steps.<id>.<key>}`, `${settings.NAME}` and `${run.id}` inside step parameters, and
 * the small `when:` language: `ref`, `!ref`, `ref == 'text'`, `ref != 'text'`. A parameter that is exactly
 * one reference keeps the referenced value's type; references inside longer text are stringified.
 */
import { StepFailedError } from '../core/errors.js';
import { dig } from '../core/dig.js';

export interface TemplateScope {
  inputs: Readonly<Record<string, unknown>>;
  steps: Readonly<Record<string, { data: Record<string, unknown>; outcome: string }>>;
  settings: (name: string) => string | undefined;
  run: Readonly<Record<string, unknown>>;
}

const WHOLE = /^\$\{([^}]+)\}$/;
const EMBEDDED = /\$\{([^}]+)\}/g;
export const REFERENCE_ROOTS = ['inputs', 'steps', 'settings', 'run'] as const;

export function referencesIn(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(EMBEDDED)].map((m) => (m[1] as string).trim());
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(referencesIn);
  return [];
}

export function isTemplate(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${');
}

export function lookup(reference: string, scope: TemplateScope): unknown {
  const [root, ...path] = reference.split('.');
  switch (root) {
    case 'inputs':
      return dig(scope.inputs, ...path);
    case 'settings':
      return scope.settings(path.join('.'));
    case 'run':
      return dig(scope.run, ...path);
    case 'steps': {
      const [stepId, ...rest] = path;
      const step = stepId === undefined ? undefined : scope.steps[stepId];
      if (!step) return undefined;
      if (rest[0] === 'outcome') return step.outcome;
      return dig(step.data, ...rest);
    }
    default:
      throw new StepFailedError(
        `unknown reference \${${reference}}`,
        `references start with ${REFERENCE_ROOTS.join(', ')}`,
      );
  }
}

export function resolveTemplates(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return lookup((whole[1] as string).trim(), scope);
    return value.replace(EMBEDDED, (_, ref: string) => {
      const found = lookup(ref.trim(), scope);
      return found === undefined || found === null
        ? ''
        : typeof found === 'object'
          ? JSON.stringify(found)
          : String(found);
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveTemplates(v, scope));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveTemplates(v, scope)]));
  }
  return value;
}

const CONDITION = /^\s*(!?)\s*([A-Za-z0-9_.-]+)\s*(?:(==|!=)\s*'([^']*)')?\s*$/;

export function parseCondition(
  text: string,
): { negate: boolean; reference: string; op?: '==' | '!='; literal?: string } | undefined {
  const match = CONDITION.exec(text);
  if (!match) return undefined;
  const op = match[3] as '==' | '!=' | undefined;
  if (match[1] && op) return undefined;
  return { negate: match[1] === '!', reference: match[2] as string, op, literal: match[4] };
}

const AND = /\s+&&\s+/;

/** `a && b`: the parts of a condition that must all hold (a `uses:` block's condition joined to a step's own). */
export function conditionParts(text: string): string[] {
  return text.split(AND);
}

export function evaluateCondition(text: string, scope: TemplateScope): boolean {
  const parts = conditionParts(text);
  if (parts.length > 1) return parts.every((part) => evaluateCondition(part, scope));
  const condition = parseCondition(text);
  if (!condition)
    throw new StepFailedError(
      `cannot read the condition "${text}"`,
      "write `ref`, `!ref`, `ref == 'text'` or `ref != 'text'`",
    );
  const value = lookup(condition.reference, scope);
  if (condition.op === '==') return String(value ?? '') === condition.literal;
  if (condition.op === '!=') return String(value ?? '') !== condition.literal;
  const truthy = Boolean(value) && value !== 'false' && value !== '0';
  return condition.negate ? !truthy : truthy;
}
