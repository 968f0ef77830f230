/** The shape of a runbook file (YAML under runbooks/). Validation messages say what was expected. */
import { z } from 'zod';
import { isDuration } from '../core/duration.js';

const duration = z.string().refine(isDuration, { message: 'expected a duration such as 90s, 30m or 2h' });
const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, { message: 'expected lower-case letters, digits and dashes, starting with a letter' });

export const InputSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]*$/, { message: 'expected a name of letters, digits, _ and -' }),
    kind: z.enum(['text', 'secret', 'choice', 'confirmation']),
    message: z.string().optional(),
    options: z.array(z.string()).min(1).optional(),
    default: z.string().optional(),
    /** A setting (environment or configuration file) that supplies the value. */
    setting: z.string().optional(),
    required: z.boolean().default(true),
  })
  .strict()
  .refine((input) => input.kind !== 'choice' || (input.options?.length ?? 0) > 0, {
    message: 'a choice input needs options',
    path: ['options'],
  });

export const StepSchema = z
  .object({
    id: identifier,
    title: z.string().min(1),
    action: z.string().min(1),
    with: z.record(z.string(), z.unknown()).default({}),
    when: z.string().optional(),
    timeout: duration.optional(),
    retries: z.number().int().min(0).max(10).default(0),
    retryDelay: duration.optional(),
    continueOnError: z.boolean().default(false),
    /** A yes/no gate shown before the step. */
    confirm: z.string().optional(),
    destructive: z.boolean().default(false),
    /** What stopping during this step leaves behind (shown when Ctrl+C is pressed during it). */
    onInterrupt: z.string().optional(),
    /** Teardown: runs even after an earlier step failed or the run was interrupted. */
    always: z.boolean().default(false),
  })
  .strict();

/**
 * `uses: <runbook>`: the steps of another runbook (runbooks/<name>.yaml beside this one), expanded at load time.
 * `with` gives its inputs (every input it declares); `prefix` is put before its step ids (default `<id>-`; empty
 * keeps them); `when` gates every included step; `only`/`except` pick some of its steps.
 */
export const UsesSchema = z
  .object({
    id: identifier,
    uses: identifier,
    /** Put before each included step's title ("Restore: Choose the dump"). */
    title: z.string().min(1).optional(),
    with: z.record(z.string(), z.unknown()).default({}),
    when: z.string().optional(),
    prefix: z
      .string()
      .regex(/^([a-z][a-z0-9-]*)?$/, { message: 'expected lower-case letters, digits and dashes, or empty' })
      .optional(),
    only: z.array(identifier).min(1).optional(),
    except: z.array(identifier).min(1).optional(),
  })
  .strict()
  .refine((block) => !(block.only && block.except), { message: 'give only or except, not both', path: ['only'] });

/** A setting the runbook cannot run without, and why (checked before the first step, shown by --dry-run). */
export const RequirementSchema = z
  .object({
    setting: z.string().regex(/^[A-Z][A-Z0-9_]*$/, { message: 'expected an upper-case setting name' }),
    why: z.string().min(1),
  })
  .strict();

const runbookFields = {
  name: identifier,
  title: z.string().min(1),
  description: z.string().default(''),
  inputs: z.array(InputSchema).default([]),
  requires: z.array(RequirementSchema).default([]),
};

/** The file as written: each step is a step or a `uses:` block (told apart, and validated, by the loader). */
export const RunbookFileSchema = z
  .object({ ...runbookFields, steps: z.array(z.unknown()).min(1, { message: 'a runbook needs at least one step' }) })
  .strict();

/** The runbook with every `uses:` expanded. */
export const RunbookSchema = z
  .object({ ...runbookFields, steps: z.array(StepSchema).min(1, { message: 'a runbook needs at least one step' }) })
  .strict();

export type RunbookInput = z.infer<typeof InputSchema>;
export type RunbookStep = z.infer<typeof StepSchema>;
export type RunbookUses = z.infer<typeof UsesSchema>;
export type RunbookRequirement = z.infer<typeof RequirementSchema>;
export type RunbookData = z.infer<typeof RunbookSchema>;

/** A loaded, validated runbook and where it came from. */
export interface Runbook extends RunbookData {
  file: string;
  /** SHA-256 of the file's bytes: resume refuses when it changed. */
  sha256: string;
}
