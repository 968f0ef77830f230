import { z } from 'zod';
import { AnswerRequiredError } from '../../core/errors.js';
import { defineAction } from '../../engine/action.js';

/** Manual items the operator ticks, each with the time it was answered. */
export const checklistAction = defineAction({
  name: 'checklist',
  description: 'manual items ticked by the operator',
  params: z
    .object({
      items: z
        .array(
          z.union([
            z.string().min(1),
            z.object({ name: z.string().regex(/^[a-z0-9-]+$/), text: z.string().min(1) }).strict(),
          ]),
        )
        .min(1),
      /** What to do about an item answered "not done" (the runbook knows what the open items leave unsafe). */
      hint: z.string().min(1).optional(),
    })
    .strict(),
  describe: (p) => `tick ${p.items.length} item(s)`,
  async run(params, ctx) {
    const answers: { name: string; item: string; done: boolean; note?: string; at: string }[] = [];
    const missing: string[] = [];
    for (const [index, entry] of params.items.entries()) {
      const item = typeof entry === 'string' ? entry : entry.text;
      const name = typeof entry === 'string' ? `${ctx.stepId}.${index + 1}` : entry.name;
      let answer;
      try {
        answer = await ctx.interactor.checklist({ kind: 'checklist', name, item }, ctx.signal);
      } catch (error) {
        // Headless: name every missing answer at once, not one per attempt.
        if (!(error instanceof AnswerRequiredError)) throw error;
        missing.push(name);
        continue;
      }
      answers.push({ name, item, done: answer.done, note: answer.note, at: new Date().toISOString() });
      ctx.output(`${answer.done ? '[x]' : '[ ]'} ${item}${answer.note ? ` (${answer.note})` : ''}`, 'info');
    }
    if (missing.length > 0) {
      throw new AnswerRequiredError(
        missing[0] as string,
        `${missing.length} checklist item(s) need an answer: ${missing.join(', ')}`,
        `answer them in --answers, one line each: ${missing.map((n) => `${n}: done`).join(', ')} (or: not done)`,
      );
    }
    const open = answers.filter((a) => !a.done);
    return open.length === 0
      ? { message: `${answers.length}/${answers.length} done`, data: { items: answers } }
      : {
          outcome: 'failed',
          message: `${open.length} of ${answers.length} item(s) not done: ${open.map((a) => a.item).join('; ')}`,
          hint: params.hint ?? 'do the open items, then run the checklist again',
          data: { items: answers },
        };
  },
});
