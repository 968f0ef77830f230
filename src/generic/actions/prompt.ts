import { z } from 'zod';
import { defineAction } from '../../engine/action.js';

const option = z.union([
  z.string(),
  z.object({ value: z.string(), label: z.string(), hint: z.string().optional() }).strict(),
]);

/** Asks the operator to choose; the choice is step data (`steps.<id>.value`). */
export const chooseAction = defineAction({
  name: 'choose',
  description: 'ask the operator to choose one of several',
  params: z
    .object({ name: z.string(), message: z.string(), options: z.array(option).min(1), default: z.string().optional() })
    .strict(),
  describe: (p) => `ask: ${p.message}`,
  async run(params, ctx) {
    const options = params.options.map((o) => (typeof o === 'string' ? { value: o, label: o } : o));
    const value = await ctx.interactor.choose(
      { kind: 'choice', name: params.name, message: params.message, options, default: params.default },
      ctx.signal,
    );
    return { message: `chose ${value}`, data: { value } };
  },
});

export const textAction = defineAction({
  name: 'ask',
  description: 'ask the operator for a line of text',
  params: z.object({ name: z.string(), message: z.string(), default: z.string().optional() }).strict(),
  describe: (p) => `ask: ${p.message}`,
  async run(params, ctx) {
    const value = await ctx.interactor.text(
      { kind: 'text', name: params.name, message: params.message, default: params.default },
      ctx.signal,
    );
    return { message: 'answered', data: { value } };
  },
});

/**
 * A secret from a setting (environment), or asked with a masked prompt. The value stays in the run's
 * memory (`ctx.secrets`), never in step data, the journal or the record.
 */
export const secretAction = defineAction({
  name: 'secret',
  description: 'obtain a secret (environment or masked prompt); never stored',
  rerunOnResume: true,
  params: z
    .object({
      name: z.string(),
      message: z.string(),
      setting: z.string().optional(),
      minLength: z.number().int().min(1).default(1),
    })
    .strict(),
  describe: (p) => `obtain secret ${p.name}${p.setting ? ` from ${p.setting} or a prompt` : ' (prompt)'}`,
  async run(params, ctx) {
    const fromSetting = params.setting ? ctx.settings.get(params.setting) : undefined;
    const value =
      fromSetting ??
      (await ctx.interactor.secret(
        {
          kind: 'secret',
          name: params.name,
          message: params.message,
          validate: (v) => (v.length < params.minLength ? `at least ${params.minLength} characters` : undefined),
        },
        ctx.signal,
      ));
    ctx.secrets.set(params.name, value);
    return {
      message: fromSetting ? `${params.name} from ${params.setting}` : `${params.name} entered`,
      data: { source: fromSetting ? params.setting : 'prompt' },
    };
  },
});
