/**
 * Processes a test started, found by id through /proc (no pgrep/pkill, and never a pattern that could reach
 * another test's or another user's processes on a shared machine).
 */
import { readdirSync, readFileSync } from 'node:fs';

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

export interface SeenProcess {
  pid: number;
  /** Its arguments joined by spaces, as read when it was found. */
  command: string;
}

/** Every living descendant of `pid` (children, grandchildren, …) with its command line, in no particular order. */
export function descendantsOf(pid: number): SeenProcess[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    const parent = parentOf(child);
    if (parent === undefined) continue;
    parents.set(parent, [...(parents.get(parent) ?? []), child]);
  }
  const found: SeenProcess[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift() as number) ?? []) {
      found.push({ pid: child, command: commandLineOf(child) });
      queue.push(child);
    }
  }
  return found;
}

/** The command line of `pid` with its arguments joined by spaces, or '' once it is gone. */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** Running, not a zombie waiting for its parent to collect it. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILL each of `processes` that still runs (the leftovers of a process a test killed on purpose). */
export function killEach(processes: SeenProcess[]): void {
  for (const { pid } of processes) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
