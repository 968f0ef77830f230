/**
 * Where the bucket is, and whether that is allowed (ALLOWED_DATA_REGIONS). The policy is checked on the location
 * the bucket reports, not on S3_REGION: S3_REGION is only where requests are signed for.
 */
import { GetBucketLocationCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import type { S3Context } from './client.js';
import { RegionNotAllowedError, httpStatusOf, mapS3Error, s3Call, s3ErrorCode } from './errors.js';
import type { S3Settings } from './settings.js';

export interface BucketRegion {
  region: string;
  /** `bucket`: the bucket's location as the endpoint reports it; `configured`: S3_REGION, the endpoint said nothing. */
  source: 'bucket' | 'configured';
  note?: string;
}

/** `eu` allows `eu-central-1` and every `eu-*`; `eu-central-1` allows only itself. */
export function regionAllowed(region: string, allowedRegions: readonly string[]): boolean {
  const r = region.toLowerCase();
  return allowedRegions.some((entry) => r === entry || r.startsWith(`${entry}-`));
}

/** Maps a LocationConstraint answer to a region name (AWS: empty means us-east-1, the legacy `EU` is eu-west-1). */
export function regionOfLocationConstraint(constraint: string | null | undefined): string | undefined {
  if (constraint === undefined || constraint === null || constraint === '') return undefined;
  if (constraint === 'EU') return 'eu-west-1';
  return constraint.toLowerCase();
}

export async function readBucketRegion(
  context: S3Context,
  options: { signal?: AbortSignal } = {},
): Promise<BucketRegion> {
  const { client, settings } = context;
  const { signal } = options;
  let constraint: string | undefined;
  let locationRefusal: string | undefined;
  try {
    const answer = await client.send(new GetBucketLocationCommand({ Bucket: settings.bucket }), {
      abortSignal: signal,
    });
    constraint = answer.LocationConstraint;
  } catch (error) {
    const code = s3ErrorCode(error);
    const status = httpStatusOf(error);
    // Refused or not implemented: HeadBucket may still tell (AWS sends x-amz-bucket-region even on 403).
    if (
      signal?.aborted ||
      !(code === 'AccessDenied' || code === 'NotImplemented' || status === 403 || status === 501)
    ) {
      throw mapS3Error(error, { operation: "read the bucket's location", settings, bucketLevel: true });
    }
    locationRefusal = code ?? `HTTP ${status}`;
  }
  const reported = regionOfLocationConstraint(constraint);
  if (reported !== undefined) return { region: reported, source: 'bucket' };
  if (settings.endpoint === undefined && locationRefusal === undefined) {
    return { region: 'us-east-1', source: 'bucket', note: 'AWS reports an empty location for us-east-1' };
  }
  const fromHead = await headBucketRegion(context, signal);
  if (fromHead !== undefined)
    return { region: fromHead, source: 'bucket', note: 'from the x-amz-bucket-region header' };
  if (settings.endpoint === undefined) {
    throw new RegionNotAllowedError(
      'unknown',
      settings.allowedRegions,
      `cannot tell where bucket ${settings.bucket} is: GetBucketLocation was refused (${locationRefusal})`,
      'grant s3:GetBucketLocation on the bucket to these credentials: the region policy ' +
        '(ALLOWED_DATA_REGIONS) must be checked before any copy',
    );
  }
  return {
    region: settings.region,
    source: 'configured',
    note:
      `${settings.endpoint} did not report the bucket's location` +
      (locationRefusal ? ` (${locationRefusal})` : '') +
      `; using S3_REGION=${settings.region}: make sure the provider really keeps the bucket there`,
  };
}

async function headBucketRegion(context: S3Context, signal: AbortSignal | undefined): Promise<string | undefined> {
  const { client, settings } = context;
  try {
    const answer = await s3Call({ operation: 'reach the bucket', settings, bucketLevel: true }, signal, () =>
      client.send(new HeadBucketCommand({ Bucket: settings.bucket }), { abortSignal: signal }),
    );
    return answer.BucketRegion ? answer.BucketRegion.toLowerCase() : undefined;
  } catch (error) {
    const withRegion = (error as { cause?: { $response?: { headers?: Record<string, string> } } }).cause?.$response
      ?.headers?.['x-amz-bucket-region'];
    if (withRegion) return withRegion.toLowerCase();
    throw error;
  }
}

/** Throws RegionNotAllowedError unless the bucket's region is in ALLOWED_DATA_REGIONS. */
export function assertRegionAllowed(settings: S3Settings, bucketRegion: BucketRegion): void {
  if (regionAllowed(bucketRegion.region, settings.allowedRegions)) return;
  const allowed = settings.allowedRegions.join(',');
  const how = bucketRegion.source === 'configured' ? ' (S3_REGION; the endpoint did not report a location)' : '';
  throw new RegionNotAllowedError(
    bucketRegion.region,
    settings.allowedRegions,
    `bucket ${settings.bucket} is in region ${bucketRegion.region}${how}, which ` +
      `ALLOWED_DATA_REGIONS=${allowed} does not allow`,
    settings.endpoint
      ? `use a bucket in an allowed region; for an S3-compatible server the region is the one it is ` +
          `configured with (set its region, or S3_REGION when it reports none); change ` +
          `ALLOWED_DATA_REGIONS only if the data may legally live in ${bucketRegion.region}`
      : `use a bucket in an allowed region (${allowed}); change ALLOWED_DATA_REGIONS only if the data ` +
          `may legally live in ${bucketRegion.region}`,
  );
}
