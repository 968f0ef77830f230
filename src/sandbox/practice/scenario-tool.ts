/** Runs the real executable headless against the sandbox for a practice scenario (scenarios.ts). */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InterruptedError, StepFailedError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { PACKAGE_ROOT } from '../../core/package-root.js';
import type { PracticeStack } from './stack.js';

export const SCENARIOS = {
  'rotated-keys':
    'a backup, then ENCRYPTION_KEY rotated to a second era (restoring the older dump needs key-era selection)',
  'bad-migration': 'a pre-migration backup, then a deploy whose migration 6 is breaking (practise the rollback)',
  pitr:
    'WAL archived to an HTTPS repository, physical backups, then a bad migration at a printed time ' +
    '(practise restore --to)',
} as const;
export type ScenarioName = keyof typeof SCENARIOS;

const RUNBOOK_BIN = join(PACKAGE_ROOT, 'bin', 'obexal-runbook');
const TAIL_LINES = 20;
/** What the child runs with besides the sandbox's environment (nothing else of the operator's shell). */
const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'OBEXAL_RUNBOOK_FROM_SOURCE'];

export interface PreparedScenario {
  name: ScenarioName;
  /** The sandbox's environment as it must be handed out after the scenario (env file, menu). */
  env: Record<string, string>;
  /** Lines for the summary and the env file's header. */
  summary: string[];
}

export interface Context {
  stack: PracticeStack;
  name: ScenarioName;
  say: (message: string) => void;
  signal?: AbortSignal | undefined;
}

/** The callers abort with the signal's name as the reason (SIGINT: exit 130, otherwise 143). */
function signalOf(signal: AbortSignal): 'SIGINT' | 'SIGTERM' {
  return signal.reason === 'SIGINT' ? 'SIGINT' : 'SIGTERM';
}

/** Runs `obexal-runbook <args>` headless against the sandbox; resolves with its output, throws with its tail. */
export async function runTool(
  ctx: Context,
  what: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<string> {
  if (ctx.signal?.aborted)
    throw new InterruptedError(
      signalOf(ctx.signal),
      `the practice scenario ${ctx.name} was interrupted before ${what}`,
    );
  const childEnv: Record<string, string> = {};
  for (const name of PASSED_THROUGH) if (process.env[name] !== undefined) childEnv[name] = process.env[name] as string;
  Object.assign(childEnv, ctx.stack.env, extraEnv, { CI: '1' });
  // `--` before the script: Node 20 reads `--env-file` anywhere on its command line, ours included.
  const child = spawn(process.execPath, ['--', RUNBOOK_BIN, ...args], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const onAbort = () => child.kill('SIGTERM');
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const exit = await new Promise<{ code: number | null; error?: Error }>((resolvePromise) => {
    child.once('error', (error) => resolvePromise({ code: null, error }));
    child.once('close', (code) => resolvePromise({ code }));
  });
  ctx.signal?.removeEventListener('abort', onAbort);
  if (ctx.signal?.aborted)
    throw new InterruptedError(
      signalOf(ctx.signal),
      `the practice scenario ${ctx.name} was interrupted during ${what}`,
    );
  if (exit.code === 0) return output;
  const tail = output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-TAIL_LINES)
    .map((line) => `  | ${redact(line)}`);
  throw new StepFailedError(
    `practice scenario ${ctx.name}: ${what} failed ` +
      `(${exit.error ? redact(exit.error.message) : `exit ${exit.code}`}); the last lines of its ` +
      `output:\n${tail.join('\n')}`,
    Object.hasOwn(SCENARIOS, ctx.name)
      ? `the sandbox was stopped and removed; the reason is in the lines above. Start it again ` +
          `(\`obexal-runbook practice up --env-file F --scenario ${ctx.name}\`) or without --scenario`
      : 'the sandbox was stopped and removed; the reason is in the lines above. Start it again with ' +
          '`obexal-runbook practice`',
  );
}

export async function writeAnswers(ctx: Context, file: string, answers: Record<string, string>): Promise<string> {
  const path = join(ctx.stack.dir, file);
  await writeFile(
    path,
    `${Object.entries(answers)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );
  return path;
}
