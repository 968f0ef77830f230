/**
 * Runs a command in a pseudo-terminal for end-to-end tests of the TUI, through util-linux `script`
 * (`script -qfec "<cmd>" /dev/null`): the test writes keystrokes, waits for text on the screen (ANSI codes
 * stripped) and always ends the whole process tree at the end.
 *
 * `CI` (and `CONTINUOUS_INTEGRATION`) are removed from the child's environment: Ink 6.8 draws nothing in a
 * terminal when they are set (MEASURED.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const keys = {
  up: '\u001B[A',
  down: '\u001B[B',
  left: '\u001B[D',
  right: '\u001B[C',
  enter: '\r',
  escape: '\u001B',
  ctrlC: '\u0003',
  ctrlD: '\u0004',
  backspace: '\u007F',
} as const;

export interface PtyOptions {
  cwd?: string;
  /** Added to (or, with undefined values, removed from) the inherited environment. */
  env?: Record<string, string | undefined>;
  cols?: number;
  rows?: number;
  /** Default time limit of `waitFor`. */
  timeoutMs?: number;
  /**
   * Pause after `waitFor` matches, before the test types on. Ink draws a frame when React commits, but the
   * components' input handlers are re-subscribed with the new state a moment later (React's passive effects):
   * a key sent the instant a frame appears is handled by the previous handler, with the previous state
   * (measured: the next key arrived 0.4 ms after the commit, before the effects ran). A person never types that
   * fast; a test must not either. Default 100 ms.
   */
  settleMs?: number;
}

export interface PtyExit {
  /** The command's exit code as `script -e` reports it (128 + n when killed by signal n). */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PtySession {
  readonly pid: number;
  /** Sends keystrokes, as a terminal would. */
  write(text: string): void;
  /** Everything printed so far, ANSI codes stripped. */
  text(): string;
  /** Everything printed so far, as is. */
  raw(): string;
  /** A position in `text()`, for waiting only on what comes after it. */
  mark(): number;
  /**
   * Resolves with the stripped text once `pattern` appears after `since` (and `settleMs` has passed); rejects
   * after the time limit, or when the command ends first, with the end of the screen in the message.
   */
  waitFor(pattern: string | RegExp, options?: { since?: number; timeoutMs?: number }): Promise<string>;
  /** Resolves when the command has ended (or rejects after the time limit). */
  waitForExit(timeoutMs?: number): Promise<PtyExit>;
  /** Sends a signal to the command itself (not to `script`). */
  signal(signal: NodeJS.Signals): void;
  /** Ends every process of the session (SIGKILL) and waits for `script` to go. Safe to call twice. */
  close(): Promise<void>;
}

// CSI, OSC and two-character escapes, then the control characters a screen reader would not show.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B[@-Z\\-_]/g;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(/\r/g, '').replace(CONTROL, '');
}

/**
 * What the terminal shows now, line by line: what was drawn after Ink's last "erase the previous frame" (its
 * erase ends with a move to column 1, CSI G), escape codes stripped.
 */
export function lastFrame(pty: PtySession): string[] {
  const raw = pty.raw();
  const start = raw.lastIndexOf('\u001B[G');
  // eslint-disable-next-line no-control-regex
  const frame = raw.slice(start === -1 ? 0 : start).replace(/\u001B\[\?2026[hl]/g, '');
  return (
    frame
      .split('\n')
      // eslint-disable-next-line no-control-regex
      .map((line) => line.replace(/\u001B\[[0-?]*[ -/]*[@-~]/g, '').replace(/\r/g, ''))
      .filter((line, index, lines) => !(index === lines.length - 1 && line === ''))
  );
}

/** Quotes one argument for the shell command line `spawnPty` takes. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

interface ProcessInfo {
  pid: number;
  parent: number;
  session: number;
}

function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name: state, ppid, pgrp, session, …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      found.push({ pid: Number(entry), parent: Number(fields[1]), session: Number(fields[3]) });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** Every process below `root`, children before grandchildren, read from /proc. */
function descendantsOf(root: number, table = processes()): number[] {
  const childrenOf = new Map<number, number[]>();
  for (const { pid, parent } of table) {
    const list = childrenOf.get(parent) ?? [];
    list.push(pid);
    childrenOf.set(parent, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of childrenOf.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function quietKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Starts `command` (a shell command line) in a pseudo-terminal of `cols` x `rows`. */
export function spawnPty(command: string, options: PtyOptions = {}): PtySession {
  const { cols = 100, rows = 30, timeoutMs = 10_000, settleMs = 100 } = options;
  const env: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color', ...options.env };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  // `exec` so that the command itself is script's child, and the one `signal` reaches.
  const inner = `stty cols ${cols} rows ${rows} 2>/dev/null; exec ${command}`;
  const child: ChildProcess = spawn('script', ['-qfec', inner, '/dev/null'], {
    cwd: options.cwd,
    env,
    detached: true, // its own process group, ended as a whole by close()
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start script(1): is util-linux installed?');
  const scriptPid = child.pid;
  let raw = '';
  // The session the command runs in (script gives it one of its own): whatever stays in it is ended by close().
  let commandSession: number | undefined;
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    if (commandSession === undefined) {
      const table = processes();
      const command = descendantsOf(scriptPid, table)[0];
      const session = table.find((info) => info.pid === command)?.session;
      // Never our own session (if the command had not started yet, this would be the test runner's).
      if (session !== undefined && session !== table.find((info) => info.pid === process.pid)?.session) {
        commandSession = session;
      }
    }
    raw += chunk.toString('utf8');
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.stdin?.on('error', () => {}); // writing after the command ended is not the test's failure
  let exit: PtyExit | undefined;
  const exited = new Promise<PtyExit>((resolve) =>
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      for (const waiter of waiters) waiter();
      resolve(exit);
    }),
  );

  const text = () => stripAnsi(raw);
  const tail = () => text().slice(-1_500);

  const session: PtySession = {
    pid: scriptPid,
    write: (keystrokes) => void child.stdin?.write(keystrokes),
    text,
    raw: () => raw,
    mark: () => text().length,
    waitFor: (pattern, waitOptions = {}) => {
      const since = waitOptions.since ?? 0;
      const limit = waitOptions.timeoutMs ?? timeoutMs;
      return new Promise<string>((resolve, reject) => {
        const check = () => {
          const screen = text();
          const after = screen.slice(since);
          if (typeof pattern === 'string' ? after.includes(pattern) : pattern.test(after)) {
            finish();
            setTimeout(() => resolve(screen), settleMs);
          } else if (exit) {
            finish();
            reject(
              new Error(`the command ended (${JSON.stringify(exit)}) before ${pattern} appeared; screen:\n${tail()}`),
            );
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${pattern} did not appear within ${limit} ms; screen:\n${tail()}`));
        }, limit);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    waitForExit: (limit = timeoutMs) =>
      new Promise<PtyExit>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the command did not end within ${limit} ms; screen:\n${tail()}`)),
          limit,
        );
        void exited.then((result) => {
          clearTimeout(timer);
          resolve(result);
        });
      }),
    signal: (signal) => {
      const [command] = descendantsOf(scriptPid);
      if (command === undefined) throw new Error('the command is not running');
      quietKill(command, signal);
    },
    close: async () => {
      // The command runs in a session of its own (script makes the pseudo-terminal its controlling terminal), so
      // ending script's process group is not enough: end every descendant, its group, and whatever is left in
      // the command's session (orphans reparented to init keep it).
      const table = processes();
      const doomed = new Set(descendantsOf(scriptPid, table));
      for (const info of table)
        if (commandSession !== undefined && info.session === commandSession) doomed.add(info.pid);
      for (const pid of doomed) {
        quietKill(-pid, 'SIGKILL');
        quietKill(pid, 'SIGKILL');
      }
      if (!exit) {
        quietKill(-scriptPid, 'SIGKILL');
        await exited;
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.stdin?.destroy();
    },
  };
  return session;
}

/** Runs `body` with a pseudo-terminal session and always closes it. */
export async function withPty<T>(
  command: string,
  options: PtyOptions,
  body: (pty: PtySession) => Promise<T>,
): Promise<T> {
  const pty = spawnPty(command, options);
  try {
    return await body(pty);
  } finally {
    await pty.close();
  }
}
