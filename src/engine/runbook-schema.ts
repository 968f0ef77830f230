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

export const RunbookSchema = z
  .object({
    name: identifier,
    title: z.string().min(1),
    description: z.string().default(''),
    inputs: z.array(InputSchema).default([]),
    steps: z.array(StepSchema).min(1, { message: 'a runbook needs at least one step' }),
  })
  .strict();

export type RunbookInput = z.infer<typeof InputSchema>;
export type RunbookStep = z.infer<typeof StepSchema>;
export type RunbookData = z.infer<typeof RunbookSchema>;

/** A loaded, validated runbook and where it came from. */
export interface Runbook extends RunbookData {
  file: string;
  /** SHA-256 of the file's bytes: resume refuses when it changed. */
  sha256: string;
}
