import { z } from 'zod';
import { expandCommand } from '../../core/command-template.js';
import { baseChildEnv, describeCommand, runProcess } from '../../core/exec.js';
import { UsageError } from '../../core/errors.js';
import { defineAction } from '../../engine/action.js';

/**
 * Runs a command without a shell. `settings` lists the settings passed to the child as environment
 * variables (secrets reach a child only this way); `env` adds plain, non-secret values.
 */
export const shellAction = defineAction({
  name: 'shell',
  description: 'run a command (no shell), its output live',
  params: z
    .object({
      command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
      env: z.record(z.string(), z.string()).default({}),
      settings: z.array(z.string()).default([]),
      cwd: z.string().optional(),
    })
    .strict(),
  describe: (p) => describeCommand(...split(p.command)),
  async run(params, ctx) {
    const [file, args] = split(params.command);
    const env = { ...baseChildEnv(ctx.settings.env), ...params.env };
    for (const name of params.settings) {
      const value = ctx.settings.get(name);
      if (value !== undefined) env[name] = value;
    }
    const result = await runProcess({
      file,
      args,
      env,
      cwd: params.cwd,
      signal: ctx.signal,
      onLine: (line, stream) => ctx.output(line, stream),
    });
    return { message: `${describeCommand(file, args)} exited 0`, data: { exitCode: result.exitCode } };
  },
});

function split(command: string | string[]): [string, string[]] {
  const words = expandCommand(command, {}, 'shell command');
  const [file, ...args] = words;
  if (!file) throw new UsageError('shell step has an empty command');
  return [file, args];
}
