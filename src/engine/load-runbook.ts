/** Reads a runbook file, validates it and names the file, line and field of every problem. */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { MAX_RUNBOOK_BYTES, MAX_YAML_ALIASES, readBoundedFile } from '../core/input-limits.js';
import { InvalidRunbookError, UsageError, type RunbookProblem } from '../core/errors.js';
import { isKnownSetting } from '../core/settings.js';
import type { ActionCatalogue } from './catalogue.js';
import { expandUses } from './include-runbook.js';
import {
  RunbookFileSchema,
  StepSchema,
  UsesSchema,
  type Runbook,
  type RunbookData,
  type RunbookRequirement,
  type RunbookStep,
} from './runbook-schema.js';
import { conditionParts, isTemplate, parseCondition, referencesIn, REFERENCE_ROOTS } from './template.js';

export async function loadRunbookFile(file: string, actions: ActionCatalogue): Promise<Runbook> {
  const bytes = await readBoundedFile(file, MAX_RUNBOOK_BYTES, 'the runbook file', (error) => {
    const code = (error as NodeJS.ErrnoException).code;
    return new UsageError(
      code === 'ENOENT' ? `no runbook file at ${file}` : `cannot read ${file}: ${code ?? String(error)}`,
      '`obexal-runbook` with no arguments lists the built-in runbooks',
    );
  });
  return parseRunbook(bytes.toString('utf8'), file, createHash('sha256').update(bytes).digest('hex'), actions);
}

/** `includedBy`: the runbooks including this one (a runbook that includes itself, even through another, is refused). */
export function parseRunbook(
  text: string,
  file: string,
  sha256: string,
  actions: ActionCatalogue,
  includedBy: readonly string[] = [],
): Runbook {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InvalidRunbookError(
      file,
      doc.errors.map((e) => ({
        path: '',
        line: lineCounter.linePos(e.pos[0]).line,
        message: `YAML: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  const lineOf = (path: readonly PropertyKey[]): number | undefined => lineAt(doc, lineCounter, path);
  const parsed = RunbookFileSchema.safeParse(plainValue(doc, file));
  if (!parsed.success) throw new InvalidRunbookError(file, issuesToProblems(parsed.error.issues, [], lineOf));
  const expanded = expandSteps(parsed.data.steps, {
    file,
    includedBy: [...includedBy, parsed.data.name],
    lineOf,
    actions,
  });
  parsed.data.requires.forEach((r, index) => {
    if (isKnownSetting(r.setting)) return;
    const path = ['requires', index, 'setting'];
    expanded.problems.push({ path: formatPath(path), line: lineOf(path), message: `unknown setting ${r.setting}` });
  });
  if (expanded.problems.length > 0) throw new InvalidRunbookError(file, expanded.problems);
  const requires = mergeRequirements([...parsed.data.requires, ...expanded.requires]);
  const data: RunbookData = { ...parsed.data, requires, steps: expanded.steps };
  const origin = (index: number) => expanded.origins[index] ?? ['steps', index];
  const problems = semanticProblems(data, origin, lineOf, actions);
  if (problems.length > 0) throw new InvalidRunbookError(file, problems);
  const hash = expanded.hashes.length === 0 ? sha256 : combinedHash([sha256, ...expanded.hashes]);
  return { ...data, file, sha256: hash };
}

interface ExpandContext {
  file: string;
  actions: ActionCatalogue;
  includedBy: readonly string[];
  lineOf: (path: readonly PropertyKey[]) => number | undefined;
}

interface ExpandedSteps {
  steps: RunbookStep[];
  /** Per expanded step: where it is written in this file (an included step: its `uses:` block). */
  origins: PropertyKey[][];
  problems: RunbookProblem[];
  requires: RunbookRequirement[];
  /** The included runbooks' hashes: a change to one of them changes this runbook's (resume refuses). */
  hashes: string[];
}

function expandSteps(raw: readonly unknown[], context: ExpandContext): ExpandedSteps {
  const out: ExpandedSteps = { steps: [], origins: [], problems: [], requires: [], hashes: [] };
  raw.forEach((value, index) => {
    const at = ['steps', index];
    const isUses = value !== null && typeof value === 'object' && 'uses' in value;
    const parsed = isUses ? UsesSchema.safeParse(value) : StepSchema.safeParse(value);
    if (!parsed.success) {
      out.problems.push(...issuesToProblems(parsed.error.issues, at, context.lineOf));
      return;
    }
    if (!('uses' in parsed.data)) {
      out.steps.push(parsed.data);
      out.origins.push(at);
      return;
    }
    const block = parsed.data;
    const problem = (message: string) =>
      out.problems.push({ path: formatPath([...at, 'uses']), line: context.lineOf([...at, 'uses']), message });
    const included = includedRunbook(block.uses, context, problem);
    if (!included) return;
    const expansion = expandUses(block, included);
    expansion.problems.forEach((message) => problem(`uses ${block.uses}: ${message}`));
    for (const step of expansion.steps) {
      out.steps.push(step);
      out.origins.push([...at, 'uses', step.id]);
    }
    out.requires.push(...included.requires);
    out.hashes.push(included.sha256);
  });
  return out;
}

/** runbooks/<name>.yaml beside the including file, loaded (and its own `uses:` expanded). */
function includedRunbook(name: string, context: ExpandContext, problem: (message: string) => void): Runbook | null {
  if (context.includedBy.includes(name)) {
    problem(`runbook "${name}" includes itself (${[...context.includedBy, name].join(' → ')})`);
    return null;
  }
  const file = join(dirname(context.file), `${name}.yaml`);
  let bytes: Buffer;
  try {
    if (statSync(file).size > MAX_RUNBOOK_BYTES) throw new Error(`larger than ${MAX_RUNBOOK_BYTES} bytes`);
    bytes = readFileSync(file);
  } catch (error) {
    problem(`cannot read the runbook ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    return null;
  }
  try {
    return parseRunbook(
      bytes.toString('utf8'),
      file,
      createHash('sha256').update(bytes).digest('hex'),
      context.actions,
      [...context.includedBy],
    );
  } catch (error) {
    if (!(error instanceof InvalidRunbookError)) throw error;
    problem(`the included runbook is invalid: ${error.message}`);
    return null;
  }
}

function mergeRequirements(list: readonly RunbookRequirement[]): RunbookRequirement[] {
  const seen = new Map<string, RunbookRequirement>();
  for (const requirement of list) if (!seen.has(requirement.setting)) seen.set(requirement.setting, requirement);
  return [...seen.values()];
}

function combinedHash(hashes: readonly string[]): string {
  return createHash('sha256').update(hashes.join('\n')).digest('hex');
}

/** The document as plain data; an alias bomb (more than MAX_YAML_ALIASES expansions) is an invalid runbook. */
function plainValue(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    const first = (error as Error).message.split('\n')[0];
    const message = `YAML: ${first} (more than ${MAX_YAML_ALIASES} alias expansions are refused)`;
    throw new InvalidRunbookError(file, [{ path: '', line: undefined, message }]);
  }
}

function lineAt(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let length = path.length; length >= 0; length--) {
    const node = doc.getIn(path.slice(0, length) as unknown[], true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
    // A missing key: point at its parent instead.
  }
  return undefined;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
  lineOf: (path: readonly PropertyKey[]) => number | undefined,
): RunbookProblem[] {
  return issues.map((issue) => {
    let path = [...prefix, ...issue.path];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = [...path, issue.keys[0] as string];
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    }
    return { path: formatPath(path), line: lineOf(path), message };
  });
}

function semanticProblems(
  runbook: RunbookData,
  origin: (index: number) => PropertyKey[],
  lineOf: (path: readonly PropertyKey[]) => number | undefined,
  actions: ActionCatalogue,
): RunbookProblem[] {
  const problems: RunbookProblem[] = [];
  const add = (path: PropertyKey[], message: string) =>
    problems.push({ path: formatPath(path), line: lineOf(path), message });
  const inputNames = new Set(runbook.inputs.map((i) => i.name));
  const seen = new Set<string>();

  runbook.steps.forEach((step, index) => {
    const at = origin(index);
    if (seen.has(step.id)) add([...at, 'id'], `step id "${step.id}" is used twice`);
    const action = actions.find(step.action);
    if (!action) {
      add([...at, 'action'], `unknown action "${step.action}"`);
    } else {
      const result = action.params.safeParse(step.with);
      if (!result.success) {
        const real = result.error.issues.filter((issue) => !isTemplate(valueAt(step.with, issue.path)));
        problems.push(...issuesToProblems(real, [...at, 'with'], lineOf));
      }
      if (action.destructive && !step.destructive) {
        add(
          [...at, 'destructive'],
          `action "${step.action}" destroys or replaces data: the step must say destructive: true`,
        );
      }
    }
    const references = [...referencesIn(step.with), ...(step.confirm ? referencesIn(step.confirm) : [])];
    for (const part of step.when ? conditionParts(step.when) : []) {
      const condition = parseCondition(part);
      if (!condition) add([...at, 'when'], "expected `ref`, `!ref`, `ref == 'text'` or `ref != 'text'` (joined by &&)");
      else references.push(condition.reference);
    }
    for (const reference of references) {
      const problem = referenceProblem(reference, inputNames, seen);
      if (problem) add([...at], problem);
    }
    seen.add(step.id);
  });
  return problems;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function referenceProblem(reference: string, inputs: Set<string>, earlierSteps: Set<string>): string | undefined {
  const [root, first] = reference.split('.');
  if (!REFERENCE_ROOTS.includes(root as (typeof REFERENCE_ROOTS)[number])) {
    return `reference \${${reference}}: references start with ${REFERENCE_ROOTS.join(', ')}`;
  }
  if (root === 'inputs' && first !== undefined && !inputs.has(first))
    return `reference \${${reference}}: no input named "${first}"`;
  if (root === 'steps' && first !== undefined && !earlierSteps.has(first)) {
    return `reference \${${reference}}: no earlier step with id "${first}"`;
  }
  return undefined;
}
