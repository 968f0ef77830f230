/**
 * The one gate in front of every upload to the backup bucket (issue 17 item 5): dumps, manifests, the key-era
 * register, records, holds and tenant logos go only to a bucket whose region ALLOWED_DATA_REGIONS allows. The region
 * is read once per client (GetBucketLocation, else the x-amz-bucket-region header, else S3_REGION for an endpoint
 * that reports none) and the verdict kept with it; a preflight that already checked it hands its verdict over.
 */
import type { S3Context } from './client.js';
import { assertRegionAllowed, readBucketRegion, type BucketRegion } from './region.js';

const verdicts = new WeakMap<S3Context, Promise<BucketRegion>>();

/** Throws RegionNotAllowedError (or the error that kept the region from being read) unless uploads may go there. */
export async function assertUploadAllowed(context: S3Context, signal?: AbortSignal): Promise<BucketRegion> {
  let verdict = verdicts.get(context);
  if (!verdict) {
    verdict = readBucketRegion(context, { signal }).then((region) => {
      assertRegionAllowed(context.settings, region);
      return region;
    });
    verdicts.set(context, verdict);
    // A refusal or an unreadable region is asked again by the next upload, never remembered as allowed.
    verdict.catch(() => verdicts.delete(context));
  }
  return verdict;
}

/** Records that the bucket's region was read and allowed for this client (by the preflight's inspection). */
export function rememberRegionAllowed(context: S3Context, region: BucketRegion): void {
  assertRegionAllowed(context.settings, region);
  verdicts.set(context, Promise.resolve(region));
}
