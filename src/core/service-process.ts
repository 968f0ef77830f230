/**
 * A long-running child service (the sandbox auth-service, a drill's auth-service): started without a shell
 * in its own process group with only the environment it is given, ready when a line of its output matches
 * or an HTTP URL answers, stopped with SIGTERM then SIGKILL. Its output lines go to `onLine` (the journal).
 */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { StepFailedError } from './errors.js';
import { describeCommand } from './exec.js';
import { redact } from './redact.js';

export interface ServiceOptions {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Ready when an output line matches this. */
  readyLine?: RegExp;
  /** Ready when a GET of this URL answers (any status below 500). */
  readyUrl?: string;
  timeoutMs: number;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
}

export interface RunningService {
  pid: number;
  /** The first output line that matched `readyLine`. */
  readyMatch?: RegExpMatchArray;
  exited: boolean;
  stop(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const label = describeCommand(options.file, options.args);
  const child = spawn(options.file, options.args, {
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  let readyMatch: RegExpMatchArray | undefined;
  let exited = false;
  const exit = once(child, 'exit').then(() => {
    exited = true;
  });
  child.on('error', () => undefined);
  followOutput(child, options.onLine, (line) => {
    tail.push(redact(line));
    if (tail.length > 15) tail.shift();
    if (!readyMatch && options.readyLine) readyMatch = line.match(options.readyLine) ?? undefined;
  });
  const stop = async () => {
    if (!exited) await stopGroup(child, exit);
  };
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.signal?.aborted) {
      await stop();
      throw options.signal.reason;
    }
    if (exited || child.exitCode !== null) {
      await exit;
      throw new StepFailedError(
        `${label} exited (code ${child.exitCode ?? child.signalCode}) before it was ready:\n ` +
          ` ${tail.slice(-6).join('\n  ')}`,
        'its output is above and in the run journal',
      );
    }
    if (options.readyLine && readyMatch) break;
    if (options.readyUrl && (await answers(options.readyUrl))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new StepFailedError(
        `${label} was not ready within ${Math.round(options.timeoutMs / 1000)} s:\n  ${tail.slice(-6).join('\n  ')}`,
        'check its output above (journal) and its start command',
      );
    }
    await delay(100);
  }
  return {
    pid: child.pid ?? 0,
    readyMatch,
    get exited() {
      return exited;
    },
    stop,
  };
}

function followOutput(
  child: ChildProcessByStdio<null, Readable, Readable>,
  onLine: ServiceOptions['onLine'],
  each: (line: string) => void,
): void {
  for (const [stream, name] of [
    [child.stdout, 'stdout'],
    [child.stderr, 'stderr'],
  ] as const) {
    createInterface({ input: stream }).on('line', (line) => {
      each(line);
      onLine?.(line, name);
    });
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // gone
  }
}

/** SIGTERM to the group, SIGKILL after 5 s if the leader has not exited, and SIGKILL to what it left behind. */
async function stopGroup(child: ChildProcess, exit: Promise<void>): Promise<void> {
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
  await exit;
  clearTimeout(timer);
  killGroup(child, 'SIGKILL');
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.status < 500;
  } catch {
    return false;
  }
}
