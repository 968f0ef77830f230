/**
 * Where `practice up` leaves the supervisor's pid so that `practice down` finds it: under the operator's HOME
 * (XDG_STATE_HOME when set), one file per sandbox name. Two people on one machine (or one person with two HOMEs)
 * never see, nor stop, each other's sandbox; `--name` keeps several sandboxes of one HOME apart.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';

export interface PracticeState {
  pid: number;
  dir: string;
  envFile: string;
  startedAt: string;
}

export const DEFAULT_PRACTICE_NAME = 'default';

export function practiceName(name: string | undefined): string {
  const chosen = name ?? DEFAULT_PRACTICE_NAME;
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(chosen)) {
    const hint = 'use lower-case letters, digits and hyphens, e.g. --name alice';
    throw new UsageError(`--name ${JSON.stringify(chosen)} is not a sandbox name`, hint);
  }
  return chosen;
}

/** The folder of the practice state of this HOME (created 0700 on write). */
export function practiceStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const stateHome = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(stateHome, 'obexal-runbook');
}

export function practiceStatePath(name = DEFAULT_PRACTICE_NAME, env: NodeJS.ProcessEnv = process.env): string {
  return join(practiceStateDir(env), `practice-${name}.json`);
}

export async function readPracticeState(name = DEFAULT_PRACTICE_NAME): Promise<PracticeState | undefined> {
  try {
    return JSON.parse(await readFile(practiceStatePath(name), 'utf8')) as PracticeState;
  } catch {
    return undefined;
  }
}

export async function writePracticeState(state: PracticeState, name = DEFAULT_PRACTICE_NAME): Promise<void> {
  await mkdir(practiceStateDir(), { recursive: true, mode: 0o700 });
  await writeFile(practiceStatePath(name), JSON.stringify(state, null, 2), { mode: 0o600 });
}

export async function clearPracticeState(name = DEFAULT_PRACTICE_NAME): Promise<void> {
  await rm(practiceStatePath(name), { force: true });
}

/** True the first time this HOME opens the practice menu (the tour is shown then); marks it as seen. */
export async function firstPracticeStart(): Promise<boolean> {
  const marker = join(practiceStateDir(), 'practice-tour-seen');
  try {
    await readFile(marker);
    return false;
  } catch {
    await mkdir(practiceStateDir(), { recursive: true, mode: 0o700 }).catch(() => undefined);
    await writeFile(marker, `${new Date().toISOString()}\n`, { mode: 0o600 }).catch(() => undefined);
    return true;
  }
}
