/**
 * stdout and stderr as a cron job or a pipe sees them. A reader that goes away (`obexal-runbook backup | head -1`)
 * makes the next write fail with EPIPE (Node ignores SIGPIPE, so the error arrives as an 'error' event that
 * would crash the process unhandled). Here it marks the stream closed and tells whoever listens: a running
 * runbook stops as it does on SIGTERM (cleanup, lock released, `.partial` removed, exit 143). Writes to a closed
 * stream are dropped; the final lines then go to the other stream if it is still open.
 */
import { fstatSync } from 'node:fs';

type Stream = 'stdout' | 'stderr';

const closed = new Set<Stream>();
const closeListeners = new Set<(stream: Stream) => void>();
let guarded = false;

function isPipeClosed(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET';
}

function markClosed(stream: Stream): void {
  if (closed.has(stream)) return;
  closed.add(stream);
  for (const listener of closeListeners) listener(stream);
}

/** Installs the EPIPE handling on both streams (once per process). Other stream errors still throw. */
export function guardOutputStreams(): void {
  if (guarded) return;
  guarded = true;
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].on('error', (error) => {
      if (!isPipeClosed(error)) throw error;
      markClosed(name);
    });
  }
}

export function isClosed(stream: Stream): boolean {
  return closed.has(stream) || process[stream].destroyed;
}

/** Calls `listener` when a stream's reader goes away; returns the function that unsubscribes it. */
export function onStreamClosed(listener: (stream: Stream) => void): () => void {
  closeListeners.add(listener);
  return () => closeListeners.delete(listener);
}

function write(stream: Stream, text: string): boolean {
  if (isClosed(stream)) return false;
  try {
    process[stream].write(text);
    return true;
  } catch (error) {
    if (!isPipeClosed(error)) throw error;
    markClosed(stream);
    return false;
  }
}

/** One line on stdout; when stdout's reader is gone, on stderr instead (so the outcome is never lost). */
export function writeOutLine(line: string): void {
  if (!write('stdout', `${line}\n`)) write('stderr', `${line}\n`);
}

export function writeErrLine(line: string): void {
  write('stderr', `${line}\n`);
}

/**
 * True when stdout and stderr are the same file (`>> log 2>&1`, one terminal): copying warnings to stderr would
 * print them twice in the same place.
 */
export function stdoutIsStderr(): boolean {
  try {
    const out = fstatSync(1);
    const err = fstatSync(2);
    return out.dev === err.dev && out.ino === err.ino && out.rdev === err.rdev;
  } catch {
    return false;
  }
}
