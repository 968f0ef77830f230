import { z } from 'zod';
import { defineAction } from '../../engine/action.js';

/** Shows a message to the operator (and keeps it in the journal and record). */
export const noteAction = defineAction({
  name: 'note',
  description: 'show a message',
  readOnly: true,
  params: z.object({ text: z.string(), level: z.enum(['info', 'warn']).default('info') }).strict(),
  describe: (p) => p.text,
  async run(params, ctx) {
    for (const line of params.text.split('\n')) ctx.output(line, params.level);
    return { message: params.text.split('\n')[0] };
  },
});
