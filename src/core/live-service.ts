/**
 * Waiting for the live auth-service (AUTH_SERVICE_URL) after a restart or a redeploy: ready when its OpenID
 * configuration answers 200. Used by the restore, the key rotation and the rollback before their live checks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { StepFailedError } from './errors.js';

export const READY_PATH = '/.well-known/openid-configuration';

export function serviceBase(url: string | undefined): string {
  const base = (url ?? '').trim().replace(/\/+$/, '');
  if (!base)
    throw new StepFailedError(
      'AUTH_SERVICE_URL is not set: the live service cannot be checked',
      'set AUTH_SERVICE_URL to the live auth-service (e.g. https://id.example.eu)',
    );
  return base;
}

/** Resolves with the time it took; throws after `timeoutMs` with the last answer seen. */
export async function waitUntilReady(
  url: string,
  timeoutMs: number,
  signal: AbortSignal,
  hint = 'check that it started, and its logs',
): Promise<number> {
  const base = serviceBase(url);
  const started = Date.now();
  let last: string;
  for (;;) {
    try {
      const response = await fetch(`${base}${READY_PATH}`, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]),
      });
      await response.body?.cancel();
      if (response.status === 200) return Date.now() - started;
      last = `HTTP ${response.status}`;
    } catch (error) {
      if (signal.aborted) throw error;
      last =
        (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
    }
    if (Date.now() - started > timeoutMs) {
      throw new StepFailedError(
        `the auth-service at ${base} is not ready after ${Math.round(timeoutMs / 1000)} s (${last})`,
        hint,
      );
    }
    await sleep(500, undefined, { signal });
  }
}
