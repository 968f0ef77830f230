/** Shared by the fault tests: the real executable started in the background, with its output read as it comes. */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { BIN } from '../helpers/cli.js';

export interface Started {
  /** The process (its pid leads the process group). */
  child: { readonly pid?: number | undefined };
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the output once `pattern` appears; rejects when the process ends first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has ended (its exit code), or undefined after `timeoutMs`. */
  ended(timeoutMs: number): Promise<number | undefined>;
}

/** Starts `obexal-runbook <args>` in a process group of its own (so that a test can end it and its children). */
export function startCli(args: string[], env: Record<string, string | undefined>): Started {
  const child = execa(process.execPath, ['--', BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...env },
    extendEnv: false,
    reject: false,
    all: true,
    detached: true,
    stdin: 'ignore',
    timeout: 240_000,
  });
  let text = '';
  child.all?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  let exit: number | undefined;
  const exited = child.then((result) => (exit = result.exitCode ?? -1));
  return {
    child,
    output: () => text,
    async waitFor(pattern, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (exit !== undefined)
          throw new Error(`the process ended (exit ${exit}) before printing ${pattern}:\n${text}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} after ${timeoutMs} ms:\n${text}`);
        await sleep(50);
      }
      return text;
    },
    async ended(timeoutMs) {
      return Promise.race([exited, sleep(timeoutMs).then(() => undefined)]);
    },
  };
}

/** Ends a process group this test started (by its leader's pid), quietly when it is gone already. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * A `pg_dump` that answers `--version` at once but, for a dump, writes `started` and then waits until the file
 * `go` exists before running the real pg_dump: a backup that holds its lock (and its `.partial`) for as long as a
 * test needs.
 */
export function gatedPgDump(dir: string): { binDir: string; started: string; go: string } {
  const real = execFileSync('sh', ['-c', 'command -v pg_dump']).toString().trim();
  const started = join(dir, 'pg-dump-started');
  const go = join(dir, 'pg-dump-go');
  const script = join(dir, 'pg_dump');
  writeFileSync(
    script,
    `#!/bin/sh\nif [ "$1" = "--version" ]; then exec ${real} "$@"; fi\n: > ${started}\n` +
      `while [ ! -e ${go} ]; do sleep 0.1; done\nexec ${real} "$@"\n`,
  );
  chmodSync(script, 0o755);
  return { binDir: dir, started, go };
}

export async function waitForFile(path: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await sleep(50);
  }
}
