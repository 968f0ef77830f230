/**
 * The memory of a process tree, read from /proc (Linux): each process's parent, name, current RSS (VmRSS) and
 * peak RSS (VmHWM, kept by the kernel, so a peak between two samples is not lost for a process still alive).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcessMemory {
  pid: number;
  ppid: number;
  name: string;
  rssBytes: number;
  hwmBytes: number;
  /** Not the tool's own: a node process it started (the auth-service it drives) or tsx's esbuild, and their children. */
  foreign?: boolean;
  /**
   * A fork of the tool that has not yet run its program (named after the forking thread, `MainThread`): its pages
   * are the tool's, shared copy-on-write, so its RSS is not memory of its own (it once added 36 MB to a restore).
   */
  unexeced?: boolean;
}

/** The program a process runs, or undefined when it cannot be read (gone, or another user's). */
function executableOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/**
 * Programs below the tool that are not the tool: `node` is the auth-service (a drill's, or reencrypt-secrets run
 * through AUTH_SERVICE_EXEC), which stands for Obexal's own binary in a container; `esbuild` is tsx's compiler when
 * the tool runs from its sources.
 */
export const FOREIGN_PROGRAMS: ReadonlySet<string> = new Set(['node', 'esbuild']);

function kib(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
}

/** One process's memory, or undefined when it is gone (or a kernel thread). */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const ppid = /^PPid:\s+(\d+)/m.exec(status)?.[1];
  const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
  if (ppid === undefined) return undefined;
  return { pid, ppid: Number(ppid), name, rssBytes: kib(status, 'VmRSS'), hwmBytes: kib(status, 'VmHWM') };
}

/** Parent of every live process (one pass over /proc): the fallback when the kernel has no `children` files. */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The name (field 2) may hold spaces and parentheses: fields after the last ')' are fixed.
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(after[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  return children;
}

let hasChildrenFiles: boolean | undefined;

/**
 * The children of `pid` from /proc/<pid>/task/<tid>/children (every thread: a child belongs to the thread that
 * started it). A few reads per process in the tree, instead of the whole of /proc, keeps sampling cheap.
 */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const tid of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(' '))
        if (child) found.push(Number(child));
    } catch {
      // thread gone
    }
  }
  return found;
}

function childrenLookup(): (pid: number) => number[] {
  if (hasChildrenFiles === undefined)
    hasChildrenFiles = readdirSafe(`/proc/${process.pid}/task`).some((tid) =>
      existsSync(`/proc/${process.pid}/task/${tid}/children`),
    );
  if (hasChildrenFiles) return childrenOf;
  const map = parentMap();
  return (pid) => map.get(pid) ?? [];
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The root and all its live descendants, each marked `foreign` when it is not the tool's own. */
export function readProcessTree(rootPid: number): { root?: ProcessMemory; descendants: ProcessMemory[] } {
  const children = childrenLookup();
  const root = readProcessMemory(rootPid);
  // Only under the tool's node (the benchmark's own binary): pg_restore's workers are forks that do run on their own.
  const rootExecutable = executableOf(rootPid) === executableOf(process.pid) ? executableOf(rootPid) : undefined;
  const descendants: ProcessMemory[] = [];
  const queue: [number, boolean][] = children(rootPid).map((pid) => [pid, false]);
  while (queue.length > 0) {
    const [pid, parentForeign] = queue.shift()!;
    const memory = readProcessMemory(pid);
    const foreign = parentForeign || (memory !== undefined && FOREIGN_PROGRAMS.has(memory.name));
    const unexeced =
      !foreign && memory !== undefined && rootExecutable !== undefined && executableOf(pid) === rootExecutable;
    if (memory) descendants.push({ ...memory, foreign, ...(unexeced ? { unexeced } : {}) });
    for (const child of children(pid)) queue.push([child, foreign]);
  }
  return { root, descendants };
}
