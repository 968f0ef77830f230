/**
 * The optional mirror of Obexal's MinIO tenant-logos bucket into the backup bucket, under
 * `<S3_PREFIX>tenant-logos/`. Objects are streamed one by one (GetObject body straight into PutObject), so memory
 * does not grow with their number or size. An object is copied when the mirror lacks it or holds another
 * version of it (size or the source ETag recorded as metadata differ); objects removed from the source are kept
 * in the mirror (a logo deleted by mistake can still be brought back) and counted in the summary.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { messageOf, StepFailedError } from '../core/errors.js';
import { addSecret } from '../core/redact.js';
import { parsedSettingsOf } from '../core/parsed-settings.js';
import { MissingSettingError, type Settings } from '../core/settings.js';
import { closeS3, openS3, type S3Context } from '../s3/client.js';
import { openObjectStream } from '../s3/download.js';
import { s3Call } from '../s3/errors.js';
import { assertUploadAllowed } from '../s3/upload-gate.js';
import { headObject, iterateObjects, type ObjectInfo } from '../s3/objects.js';
import { keyFor, s3SettingsFromEnv, s3SettingsFromSettings } from '../s3/settings.js';

export const LOGOS_MIRROR_FOLDER = 'tenant-logos/';
const SOURCE_ETAG_METADATA_KEY = 'source-etag';

export interface LogosMirrorResult {
  source: string;
  target: string;
  objects: number;
  copied: number;
  copiedBytes: number;
  unchanged: number;
  /** In the mirror but no longer in the source: kept. */
  onlyInMirror: number;
}

/** The MinIO side: path-style, its own endpoint and credentials, never region-checked (it is not off-site). */
function sourceContext(settings: Settings): S3Context {
  const logos = parsedSettingsOf(settings).logos;
  if (!logos) throw new MissingSettingError('LOGOS_S3_BUCKET');
  const { region, accessKeyId, secretKey: secretAccessKey } = logos;
  const s3 = s3SettingsFromEnv({
    S3_BUCKET: logos.bucket,
    S3_ENDPOINT: logos.endpoint,
    S3_REGION: region,
    S3_PREFIX: logos.prefix,
    S3_FORCE_PATH_STYLE: 'true',
    S3_CHECKSUM: 'WHEN_REQUIRED',
    ALLOWED_DATA_REGIONS: region,
  });
  if (secretAccessKey) addSecret(secretAccessKey);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new StepFailedError(
      'LOGOS_S3_ACCESS_KEY_ID and LOGOS_S3_SECRET_ACCESS_KEY must be set together',
      'set both (the MinIO access key of a read-only user), or neither to use the AWS SDK credential chain',
    );
  }
  return openS3(s3, accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {});
}

function targetContext(settings: Settings): S3Context {
  const s3 = s3SettingsFromSettings(settings);
  return openS3({ ...s3, prefix: `${s3.prefix}${LOGOS_MIRROR_FOLDER}` });
}

async function isCurrent(
  target: S3Context,
  object: ObjectInfo,
  mirrored: ObjectInfo | undefined,
  signal?: AbortSignal,
): Promise<boolean> {
  if (!mirrored || mirrored.size !== object.size) return false;
  const head = await headObject(target, object.name, { signal });
  return head?.metadata?.[SOURCE_ETAG_METADATA_KEY] === (object.etag ?? '');
}

async function copyObject(
  source: S3Context,
  target: S3Context,
  object: ObjectInfo,
  signal?: AbortSignal,
): Promise<void> {
  const stream = await openObjectStream(source, object.name, { signal });
  const { settings } = target;
  await assertUploadAllowed(target, signal);
  const request = new PutObjectCommand({
    Bucket: settings.bucket,
    Key: keyFor(settings, object.name),
    Body: stream.body,
    ContentLength: stream.size,
    ContentType: 'application/octet-stream',
    Metadata: { [SOURCE_ETAG_METADATA_KEY]: object.etag ?? '' },
  });
  try {
    await s3Call({ operation: 'copy a tenant logo into the bucket', settings, name: object.name }, signal, () =>
      target.client.send(request, { abortSignal: signal }),
    );
  } finally {
    stream.body.destroy();
  }
}

/** Errors on the MinIO side name the LOGOS_ settings (the generic S3 hints speak of S3_ENDPOINT). */
async function* fromSource<T>(source: S3Context, objects: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* objects;
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw error;
    throw new StepFailedError(
      `cannot read the tenant logos in s3://${source.settings.bucket}/${source.settings.prefix} ` +
        `(${source.settings.endpoint ?? 'AWS'}): ${messageOf(error)}`,
      'check LOGOS_S3_ENDPOINT, LOGOS_S3_BUCKET and the MinIO credentials (LOGOS_S3_ACCESS_KEY_ID, ' +
        'LOGOS_S3_SECRET_ACCESS_KEY); the database backup itself is not affected',
    );
  }
}

export async function mirrorTenantLogos(
  settings: Settings,
  options: { signal?: AbortSignal; onCopy?: (name: string, size: number) => void } = {},
): Promise<LogosMirrorResult> {
  const { signal } = options;
  const source = sourceContext(settings);
  const target = targetContext(settings);
  try {
    const mirrored = new Map<string, ObjectInfo>();
    for await (const info of iterateObjects(target, { signal })) mirrored.set(info.name, info);
    const result: LogosMirrorResult = {
      source: `s3://${source.settings.bucket}/${source.settings.prefix}`,
      target: `s3://${target.settings.bucket}/${target.settings.prefix}`,
      objects: 0,
      copied: 0,
      copiedBytes: 0,
      unchanged: 0,
      onlyInMirror: 0,
    };
    const seen = new Set<string>();
    for await (const object of fromSource(source, iterateObjects(source, { signal }))) {
      if (object.name.endsWith('/')) continue; // a folder marker
      result.objects += 1;
      seen.add(object.name);
      if (await isCurrent(target, object, mirrored.get(object.name), signal)) {
        result.unchanged += 1;
        continue;
      }
      await copyObject(source, target, object, signal);
      result.copied += 1;
      result.copiedBytes += object.size;
      options.onCopy?.(object.name, object.size);
    }
    result.onlyInMirror = [...mirrored.keys()].filter((name) => !seen.has(name)).length;
    return result;
  } finally {
    closeS3(source);
    closeS3(target);
  }
}
