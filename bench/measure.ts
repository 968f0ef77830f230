/**
 * Runs one process and measures it: wall time, and memory of its whole tree sampled from /proc every 50 ms.
 * - `rootPeakBytes`: the root process's own peak (the tool's node process, or pg_dump for a baseline), from the
 *   kernel's VmHWM, so a peak between two samples is not lost;
 * - `toolTreePeakBytes`: the peak, at one sampling instant, of the root's RSS plus the RSS of the descendants that
 *   are the tool's own (pg_dump, pg_restore, psql): what the tool's processes hold at once. The auth-service a
 *   drill starts (Obexal's binary in production) and tsx's esbuild are left out (see proc-tree.ts);
 * - `childrenPeakBytes`: the same sum over every descendant, foreign ones included; `treePeakBytes` root + all;
 * - `byProgram`: each program's own peak (VmHWM).
 * A child that lives less than a sample period can be missed.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { redact } from '../src/core/redact.js';
import { readProcessTree } from './proc-tree.js';

export interface MemoryPeaks {
  rootPeakBytes: number;
  toolTreePeakBytes: number;
  childrenPeakBytes: number;
  treePeakBytes: number;
  byProgram: Record<string, number>;
}

export interface MeasuredRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  seconds: number;
  memory: MemoryPeaks;
  stdout: string;
  stderr: string;
  /** With `timeline`: [ms since start, root RSS, children RSS] at every sample. */
  timeline?: [number, number, number][];
}

export interface RunSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** Kill the tree after this long (default 30 minutes). */
  timeoutMs?: number;
  sampleMs?: number;
  timeline?: boolean;
  /** Run as this user (the cluster's `postgres` user, for pgBackRest); default: this process's user. */
  uid?: number;
  gid?: number;
}

const TAIL_BYTES = 64 * 1024;
/** Measured processes still running, each with a promise of its end. */
const active = new Map<number, Promise<unknown>>();
/** Set by killActiveRuns: no new measured process starts once the benchmark is stopping. */
let stopping = false;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Ends every measured process tree still running (on Ctrl+C of the benchmark) and waits for them, so that the
 * practice stack is removed only after the tool has finished its own cleanup (which writes into the stack's
 * folder); SIGKILL after `graceMs`.
 */
export async function killActiveRuns(graceMs = 15_000): Promise<void> {
  stopping = true;
  const running = [...active.entries()];
  for (const [pid] of running) signalGroup(pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const outcome = await Promise.race([Promise.allSettled(running.map(([, ended]) => ended)), grace]);
  clearTimeout(timer);
  if (outcome === 'late') for (const [pid] of running) signalGroup(pid, 'SIGKILL');
}

function sample(pid: number, peaks: MemoryPeaks, timeline?: [number, number, number][], started = 0): void {
  const { root, descendants } = readProcessTree(pid);
  if (root) peaks.rootPeakBytes = Math.max(peaks.rootPeakBytes, root.hwmBytes, root.rssBytes);
  let children = 0;
  let own = 0;
  for (const child of descendants) {
    if (child.unexeced) continue; // the tool's own pages, already in its RSS
    children += child.rssBytes;
    if (!child.foreign) own += child.rssBytes;
    const peak = Math.max(child.hwmBytes, child.rssBytes);
    peaks.byProgram[child.name] = Math.max(peaks.byProgram[child.name] ?? 0, peak);
  }
  peaks.childrenPeakBytes = Math.max(peaks.childrenPeakBytes, children);
  peaks.treePeakBytes = Math.max(peaks.treePeakBytes, (root?.rssBytes ?? 0) + children);
  peaks.toolTreePeakBytes = Math.max(peaks.toolTreePeakBytes, (root?.rssBytes ?? 0) + own);
  timeline?.push([Math.round(performance.now() - started), root?.rssBytes ?? 0, children]);
}

/** Runs `spec` to its end; never throws for a non-zero exit (the caller decides). */
export async function runMeasured(spec: RunSpec): Promise<MeasuredRun> {
  if (stopping) throw new Error('the benchmark is stopping (interrupted)');
  const peaks: MemoryPeaks = {
    rootPeakBytes: 0,
    toolTreePeakBytes: 0,
    childrenPeakBytes: 0,
    treePeakBytes: 0,
    byProgram: {},
  };
  const started = performance.now();
  const child = spawn(spec.file, spec.args, {
    env: spec.env,
    cwd: spec.cwd,
    uid: spec.uid,
    gid: spec.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString('utf8')).slice(-TAIL_BYTES);
  });
  const pid = child.pid;
  const ended = new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, sig) => resolve([code, sig]));
  });
  if (pid !== undefined) active.set(pid, ended);
  const timeline: [number, number, number][] | undefined = spec.timeline ? [] : undefined;
  const timer =
    pid === undefined ? undefined : setInterval(() => sample(pid, peaks, timeline, started), spec.sampleMs ?? 50);
  const killer = setTimeout(
    () => {
      if (pid !== undefined) signalGroup(pid, 'SIGTERM');
    },
    spec.timeoutMs ?? 30 * 60_000,
  );
  if (pid !== undefined) sample(pid, peaks, timeline, started);
  let exitCode: number | null;
  let signal: NodeJS.Signals | null;
  try {
    [exitCode, signal] = await ended;
  } finally {
    if (timer) clearInterval(timer);
    if (pid !== undefined) active.delete(pid);
    clearTimeout(killer);
  }
  const seconds = (performance.now() - started) / 1000;
  peaks.toolTreePeakBytes = Math.max(peaks.toolTreePeakBytes, peaks.rootPeakBytes);
  const run: MeasuredRun = {
    exitCode,
    signal,
    seconds,
    memory: peaks,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: err,
  };
  if (timeline) run.timeline = timeline;
  return run;
}

/** Throws with the redacted tail of stderr when the run did not exit 0. */
export function assertSucceeded(run: MeasuredRun, what: string): void {
  if (run.exitCode === 0) return;
  const tail = redact(`${run.stderr}\n${run.stdout.slice(-4000)}`)
    .trim()
    .split('\n')
    .slice(-25)
    .join('\n  ');
  throw new Error(`${what} exited ${run.exitCode ?? run.signal}:\n  ${tail}`);
}

export function mb(bytes: number): number {
  return Math.round((bytes / 1e6) * 10) / 10;
}
