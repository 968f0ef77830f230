/**
 * The bucket preflight's work: the bucket answers these credentials (one listing, every run), and its
 * configuration (region, versioning, lifecycle rules, Object Lock) as a full inspection read it less than a week
 * ago (bucket-facts.ts), else read now and stored. A bucket that does not answer drops the stored facts.
 *
 * The backup's database preflight may start this check (`startBucketPreflight`) so that it runs while the database
 * and pg_dump answer; the bucket step then takes its outcome (`bucketPreflight`) and reports it as its own.
 */
import { isAbortError } from '../core/errors.js';
import type { BucketInspection } from '../s3/inspect.js';
import type { S3Settings } from '../s3/settings.js';

export interface BucketPreflightOutcome {
  inspection: BucketInspection;
  /** When the configuration came from an earlier run's inspection: the time it was read. */
  factsReadAt?: string;
}

async function inspectWithFacts(
  settings: S3Settings,
  configDir: string,
  signal: AbortSignal,
): Promise<BucketPreflightOutcome> {
  const [{ openS3, closeS3 }, inspect, facts, { regionAllowed }, { rememberRegionAllowed }] = await Promise.all([
    import('../s3/client.js'),
    import('../s3/inspect.js'),
    import('../s3/bucket-facts.js'),
    import('../s3/region.js'),
    import('../s3/upload-gate.js'),
  ]);
  const now = new Date();
  const stored = await facts.readBucketFacts(configDir, settings, now);
  const context = openS3(settings);
  try {
    // Facts whose region is no longer allowed are read again: the bucket may have moved.
    if (stored && regionAllowed(stored.region.region, settings.allowedRegions)) {
      try {
        await inspect.checkBucketReachable(context, { signal });
      } catch (error) {
        if (!signal.aborted && !isAbortError(error)) await facts.forgetBucketFacts(configDir, settings);
        throw error;
      }
      rememberRegionAllowed(context, stored.region);
      return { inspection: inspect.inspectionFromFacts(settings, stored), factsReadAt: stored.readAt };
    }
    const inspection = await inspect.inspectBucket(context, { signal });
    await facts.storeBucketFacts(configDir, settings, facts.factsOf(inspection, now));
    return { inspection };
  } finally {
    closeS3(context);
  }
}

interface Started {
  outcome: Promise<BucketPreflightOutcome>;
  controller: AbortController;
}

const started = new Map<string, Started>();

function keyOf(settings: S3Settings, configDir: string): string {
  return JSON.stringify([configDir, settings.endpoint ?? null, settings.region, settings.bucket, settings.prefix]);
}

/**
 * Starts the check now. `signal` (the starting step's) stops it until `release` is called, when the bucket step's
 * own signal takes over; `cancel` stops it and forgets it (the starting step failed: no bucket step follows).
 */
export function startBucketPreflight(
  settings: S3Settings,
  configDir: string,
  signal: AbortSignal,
): { release(): void; cancel(): void } {
  const key = keyOf(settings, configDir);
  const controller = new AbortController();
  const outcome = inspectWithFacts(settings, configDir, controller.signal);
  outcome.catch(() => undefined); // the bucket step awaits it and reports the failure
  started.set(key, { outcome, controller });
  const stop = () => controller.abort(signal.reason);
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  return {
    release: () => signal.removeEventListener('abort', stop),
    cancel: () => {
      signal.removeEventListener('abort', stop);
      started.delete(key);
      controller.abort();
    },
  };
}

/** The check begun by `startBucketPreflight` for this bucket, else a check made now; either way under `signal`. */
export function bucketPreflight(
  settings: S3Settings,
  configDir: string,
  signal: AbortSignal,
): Promise<BucketPreflightOutcome> {
  const key = keyOf(settings, configDir);
  const early = started.get(key);
  if (!early) return inspectWithFacts(settings, configDir, signal);
  started.delete(key);
  const stop = () => early.controller.abort(signal.reason);
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  return early.outcome.finally(() => signal.removeEventListener('abort', stop));
}
