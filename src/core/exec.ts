/**
 * Runs a child process the safe way: no shell, only the environment variables it needs (never a blanket
 * copy of ours), secrets only in its environment, its own process group so that an abort ends it and
 * everything it started, output read line by line for the journal and the screen tail, and errors built
 * from the redacted command line.
 */
import { execa, type ResultPromise } from 'execa';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { StepFailedError, InterruptedError } from './errors.js';
import { redact } from './redact.js';

const BASE_VARIABLES = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'USER', 'LOGNAME', 'TERM'];

/** The variables every child may see: enough to find programs and format text, nothing else. */
export function baseChildEnv(from: Record<string, string | undefined> = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of BASE_VARIABLES) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export interface RunProcessOptions {
  file: string;
  args: string[];
  /** The complete environment of the child (start from `baseChildEnv()`). */
  env: Record<string, string>;
  cwd?: string;
  signal?: AbortSignal;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Keep stdout as a string in the result (small outputs only, e.g. a key command). */
  captureStdout?: boolean;
  /** Pipe this stream into the child's stdin. */
  stdin?: Readable;
  /** Where stdout goes when it is a data stream (pg_dump into the encryptor); lines are then not read. */
  stdoutTo?: Writable | 'pipe';
  /** How long to wait after SIGTERM before SIGKILL on abort. */
  killGraceMs?: number;
  /** Describes the command for messages (defaults to the redacted command line). */
  label?: string;
  uid?: number;
  gid?: number;
}

export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderrTail: string[];
}

export function describeCommand(file: string, args: string[]): string {
  return redact(
    [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' '),
  );
}

function spawnInGroup(options: RunProcessOptions): ResultPromise {
  const child = execa(options.file, options.args, {
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    detached: true,
    buffer: false,
    reject: false,
    stdin: options.stdin ? 'pipe' : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    uid: options.uid,
    gid: options.gid,
  });
  if (options.stdin && child.stdin) options.stdin.pipe(child.stdin).on('error', () => undefined);
  child.stdin?.on('error', () => undefined); // EPIPE when the child exits early is reported through its exit code
  return child;
}

function killGroup(child: ResultPromise, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // already gone
  }
}

/** Resolves when the stream closes. */
function readLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', onLine);
    lines.on('close', () => resolve());
  });
}

/** Starts a process in its own process group; the returned promise settles when it exits. */
export function startProcess(options: RunProcessOptions): { child: ResultPromise; done: Promise<ProcessResult> } {
  const label = options.label ?? describeCommand(options.file, options.args);
  const stderrTail: string[] = [];
  let stdout = '';
  const child = spawnInGroup(options);

  let aborted = false;
  const onAbort = () => {
    aborted = true;
    killGroup(child, 'SIGTERM');
    setTimeout(() => killGroup(child, 'SIGKILL'), options.killGraceMs ?? 3_000).unref();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const readers: Promise<void>[] = [];
  if (child.stderr) {
    readers.push(
      readLines(child.stderr, (line) => {
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
        options.onLine?.(line, 'stderr');
      }),
    );
  }
  if (options.stdoutTo && options.stdoutTo !== 'pipe') child.stdout?.pipe(options.stdoutTo);
  else if (options.stdoutTo !== 'pipe' && child.stdout) {
    readers.push(
      readLines(child.stdout, (line) => {
        if (options.captureStdout) stdout += `${line}\n`;
        options.onLine?.(line, 'stdout');
      }),
    );
  }

  const done = (async () => {
    const result = await child;
    await Promise.all(readers);
    options.signal?.removeEventListener('abort', onAbort);
    // A child that leaves grandchildren behind: end the group now that the leader is gone.
    killGroup(child, 'SIGTERM');
    if (aborted) throw new InterruptedError('SIGINT', `${label}: stopped`);
    if (result.failed && result.exitCode === undefined) {
      const reason = result.signal
        ? `was killed by ${result.signal}`
        : `could not start (${redact(result.shortMessage ?? '')})`;
      throw new StepFailedError(`${label} ${reason}`, tailHint(stderrTail), result.cause);
    }
    return { exitCode: result.exitCode ?? 1, stdout, stderrTail: stderrTail.map(redact) };
  })();
  return { child, done };
}

/** Runs a process to the end; a non-zero exit is a `StepFailedError` with the redacted stderr tail. */
export async function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  const result = await startProcess(options).done;
  if (result.exitCode !== 0) {
    const label = options.label ?? describeCommand(options.file, options.args);
    throw new StepFailedError(
      `${label} exited with ` +
        `code ${result.exitCode}${result.stderrTail.length ? `:\n  ${result.stderrTail.slice(-5).join('\n  ')}` : ''}`,
      tailHint(result.stderrTail),
    );
  }
  return result;
}

function tailHint(tail: string[]): string {
  return tail.length > 0
    ? 'the last lines of its error output are above; the whole output is in the run journal'
    : 'see the run journal for its output';
}
