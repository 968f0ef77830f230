/**
 * The bucket's side of the inventory: the objects directly under S3_PREFIX (sub-folders such as `records/`
 * are not backups), grouped like the local files, with every manifest read from the bucket.
 */
import { isAbortError, StepFailedError } from '../core/errors.js';
import type { S3Context } from '../s3/client.js';
import { S3Error, S3VerificationError } from '../s3/errors.js';
import { describeLocation } from '../s3/settings.js';
import { getJson, headObject, listObjects } from '../s3/objects.js';
import { classifyName, groupInventory, parseManifestText, type Inventory, type StoredFile } from './inventory.js';
import { parseCompactUtc, type Manifest } from './manifest.js';
import { mapLimited } from '../core/map-limited.js';

const MANIFESTS_IN_FLIGHT = 8;

export interface BucketInventoryOptions {
  signal?: AbortSignal;
  /** Manifests of the local folder by stamp, used for a bucket dump whose manifest is not in the bucket. */
  localManifests?: Map<string, Manifest>;
}

type ManifestRead = { manifest: Manifest } | { problem: string } | undefined;

/** One manifest of the bucket: damaged content (bad JSON, SHA-256 mismatch) is that backup's problem, not thrown. */
async function readBucketManifest(context: S3Context, name: string, signal?: AbortSignal): Promise<ManifestRead> {
  try {
    const json = await getJson<unknown>(context, name, { signal });
    if (!json) return undefined; // deleted between the list and the read
    return parseManifestText(JSON.stringify(json.value));
  } catch (error) {
    // A damaged manifest is a problem of that backup; unreachable is everyone's.
    const damaged =
      error instanceof S3VerificationError || (error instanceof StepFailedError && !(error instanceof S3Error));
    if (!damaged || isAbortError(error)) throw error;
    return { problem: error.message };
  }
}

export async function bucketInventory(context: S3Context, options: BucketInventoryOptions = {}): Promise<Inventory> {
  const objects = await listObjects(context, { signal: options.signal });
  const files: StoredFile[] = [];
  for (const object of objects) {
    if (object.name === '' || object.name.includes('/')) continue;
    const file: StoredFile = { name: object.name, size: object.size };
    if (object.lastModified) file.modifiedAt = object.lastModified;
    files.push(file);
  }
  // One round trip per manifest, several at once (a 14-day retention holds some 14 of them).
  const manifestNames = files.map((f) => f.name).filter((name) => classifyName(name).kind === 'manifest');
  const reads = await mapLimited(manifestNames, MANIFESTS_IN_FLIGHT, (name) =>
    readBucketManifest(context, name, options.signal),
  );
  const manifests = new Map<string, Manifest>();
  const manifestProblems = new Map<string, string>();
  manifestNames.forEach((name, index) => {
    const read = reads[index];
    if (read && 'manifest' in read) manifests.set(name, read.manifest);
    else if (read) manifestProblems.set(name, read.problem);
  });
  const input = {
    location: 'bucket' as const,
    where: describeLocation(context.settings),
    files,
    manifests,
    manifestProblems,
    ...(options.localManifests ? { fallbackManifests: options.localManifests } : {}),
  };
  return groupInventory(input);
}

/** The local manifests by stamp (to fill in for bucket dumps whose manifest is missing there). */
export function manifestsByStamp(inventory: Inventory): Map<string, Manifest> {
  const map = new Map<string, Manifest>();
  for (const backup of inventory.backups)
    if (backup.manifest && backup.manifestFrom === inventory.location) map.set(backup.stamp, backup.manifest);
  return map;
}

export interface BucketNewest {
  dump: string;
  takenAt: Date;
  checkedAt?: string;
}

/**
 * The newest verified backup in the bucket (never a `pre-restore` one), reading manifests newest first and
 * stopping at the first that qualifies: a status check must stay cheap however many backups the bucket holds.
 */
export async function newestVerifiedInBucket(
  context: S3Context,
  options: { signal?: AbortSignal; maxChecks?: number } = {},
): Promise<BucketNewest | undefined> {
  const objects = await listObjects(context, { signal: options.signal });
  const dumps = objects
    .filter((o) => !o.name.includes('/') && classifyName(o.name).kind === 'dump')
    .sort((a, b) => b.name.localeCompare(a.name));
  for (const dump of dumps.slice(0, options.maxChecks ?? 50)) {
    const kind = classifyName(dump.name);
    if (kind.kind !== 'dump') continue;
    const manifestName = `obexal-${kind.stamp}.manifest.json`;
    let manifest: Manifest | undefined;
    try {
      const json = await getJson<unknown>(context, manifestName, { signal: options.signal });
      const parsed = json ? parseManifestText(JSON.stringify(json.value)) : undefined;
      if (parsed && 'manifest' in parsed) manifest = parsed.manifest;
    } catch (error) {
      if (!(error instanceof S3VerificationError || (error instanceof StepFailedError && !(error instanceof S3Error))))
        throw error;
    }
    if (
      !manifest ||
      !manifest.verified.bucket ||
      manifest.reason === 'pre-restore' ||
      manifest.dump.name !== dump.name ||
      manifest.dump.size !== dump.size
    )
      continue;
    const head = await headObject(context, dump.name, { signal: options.signal });
    if (!head || head.sha256?.toLowerCase() !== manifest.dump.sha256) continue;
    const takenAt = new Date(manifest.startedAt);
    const newest: BucketNewest = {
      dump: dump.name,
      takenAt: Number.isNaN(takenAt.getTime()) ? parseCompactUtc(kind.stamp) : takenAt,
    };
    if (manifest.verified.bucketCheckedAt) newest.checkedAt = manifest.verified.bucketCheckedAt;
    return newest;
  }
  return undefined;
}
