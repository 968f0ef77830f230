import { z } from 'zod';
import { defineAction } from '../../engine/action.js';

/**
 * A typed confirmation. For a destruction (`destructive: true` here) the token is the target's
 * `host:port/database`; `namedBy` is the setting through which the invocation may have named the target
 * (DESIGN §3: CONFIRM=yes suffices then, otherwise CONFIRM_TARGET must equal the token).
 * Re-run on resume: a resumed run confirms again before any destructive step.
 */
export const confirmAction = defineAction({
  name: 'confirm',
  description: 'typed confirmation (of the target, before a destruction)',
  rerunOnResume: true,
  params: z
    .object({
      name: z.string().default('confirm'),
      message: z.string(),
      token: z.string().min(1),
      destructive: z.boolean().default(true),
      details: z.array(z.string()).default([]),
      namedBy: z.string().optional(),
    })
    .strict(),
  describe: (p) => `confirm by typing ${p.token}`,
  async run(params, ctx) {
    await ctx.interactor.confirm(
      {
        kind: 'confirm',
        name: params.name,
        message: params.message,
        token: params.token,
        destructive: params.destructive,
        details: params.details,
        targetNamedByInvocation: params.namedBy ? ctx.invocationNamed(params.namedBy) : false,
      },
      ctx.signal,
    );
    if (params.destructive) ctx.recordConfirmation(params.token);
    return { message: `confirmed ${params.token}`, data: { token: params.token } };
  },
});
