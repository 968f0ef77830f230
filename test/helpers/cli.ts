/** Runs the real executable, as an operator or cron would, with an explicit environment. */
import { execa } from 'execa';
import { mkdirSync } from 'node:fs';
import { tempDir } from './temp.js';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'obexal-runbook');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A private home for one test: config dir (signing key, journals) and BACKUP_DIR. */
export function testHome(prefix = 'obexal-test-'): { dir: string; env: Record<string, string> } {
  const dir = tempDir(prefix);
  mkdirSync(join(dir, 'backups'), { mode: 0o700 });
  return {
    dir,
    env: {
      OBEXAL_RUNBOOK_CONFIG_DIR: join(dir, 'config'),
      BACKUP_DIR: join(dir, 'backups'),
    },
  };
}

export async function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  options: { timeoutMs?: number; cancelSignal?: AbortSignal } = {},
): Promise<CliResult> {
  const result = await execa(process.execPath, ['--', BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 120_000,
    cancelSignal: options.cancelSignal,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The run id from a headless run's first line (`[runbook] run <id> started`). */
export function runIdOf(runbook: string, stdout: string): string {
  const match = new RegExp(`\\[${runbook}\\] run (\\S+) started`).exec(stdout);
  if (!match) throw new Error(`no run id in the output:\n${stdout.slice(0, 3000)}`);
  return match[1] as string;
}

/** The signed record's path from a headless run's last lines (`record: <path>`). */
export function recordPathOf(stdout: string): string {
  const match = /record: (\S+\.json)/.exec(stdout);
  if (!match) throw new Error(`no record path in the output:\n${stdout.slice(-3000)}`);
  return match[1] as string;
}

/** Runs the executable headless, sends SIGINT once `line` is printed (after `delayMs`), and returns its end. */
export async function interruptAt(
  args: string[],
  env: Record<string, string | undefined>,
  line: RegExp,
  delayMs: number,
): Promise<{ exitCode: number; stdout: string; sent: boolean }> {
  const child = execa(process.execPath, ['--', BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 600_000,
  });
  let stdout = '';
  let sent = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!sent && line.test(stdout)) {
      sent = true;
      setTimeout(() => child.kill('SIGINT'), delayMs);
    }
  });
  const result = await child;
  return { exitCode: result.exitCode ?? -1, stdout, sent };
}
