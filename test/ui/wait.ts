/**
 * Waiting in Ink tests. A key is handled synchronously by `stdin.write`, but the components' input handlers are
 * re-subscribed in React's passive effects, which Ink's legacy root runs from the scheduler on a later
 * setImmediate. A key written before that is seen by the previous handler, with the previous state: so after each
 * write, let a few setImmediate rounds pass (they run in order, whatever the machine's load). Ink 8 holds a lone
 * Esc for 20 ms (the start of an escape sequence may still be coming): the first wait outlasts that timer, and
 * timers that expire later fire later, whatever the load.
 */
const INK_PENDING_ESCAPE_MS = 20;

export async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, INK_PENDING_ESCAPE_MS + 1));
  for (let round = 0; round < 4; round++) await new Promise((resolve) => setImmediate(resolve));
}

export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns true, or fails with `describe()` after `timeoutMs`. */
export async function waitUntil(check: () => boolean, describe: () => string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${describe()}`);
    await tick(5);
  }
}

/** Settles a promise into a value a test can inspect without awaiting forever. */
export function track<T>(promise: Promise<T>): {
  state: 'pending' | 'resolved' | 'rejected';
  value?: T;
  error?: unknown;
} {
  const box: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(box, { state: 'resolved', value }),
    (error: unknown) => Object.assign(box, { state: 'rejected', error }),
  );
  return box;
}

export const keys = {
  up: '\u001B[A',
  down: '\u001B[B',
  enter: '\r',
  escape: '\u001B',
  ctrlC: '\u0003',
  backspace: '\u007F',
};
