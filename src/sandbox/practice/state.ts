/** Where `practice up` leaves the supervisor's pid so that `practice down` finds it. */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PracticeState {
  pid: number;
  dir: string;
  envFile: string;
  startedAt: string;
}

export function practiceStatePath(): string {
  return join(tmpdir(), `obexal-practice-${process.getuid?.() ?? 'user'}.json`);
}

export async function readPracticeState(): Promise<PracticeState | undefined> {
  try {
    return JSON.parse(await readFile(practiceStatePath(), 'utf8')) as PracticeState;
  } catch {
    return undefined;
  }
}

export async function writePracticeState(state: PracticeState): Promise<void> {
  await writeFile(practiceStatePath(), JSON.stringify(state, null, 2), { mode: 0o600 });
}

export async function clearPracticeState(): Promise<void> {
  await rm(practiceStatePath(), { force: true });
}
