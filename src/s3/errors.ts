/**
 * Typed errors of the S3 module, and the mapping from the SDK's errors to them. Each carries a hint: what the
 * operator does next. All are failed steps (exit code 1). Abort errors are passed through untouched so that the
 * engine sees an interruption, not a failure.
 */
import { StepFailedError, isAbortError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { describeLocation, type S3Settings } from './settings.js';

export type S3ErrorKind =
  | 'unreachable'
  | 'credentials'
  | 'no-such-bucket'
  | 'not-found'
  | 'region-not-allowed'
  | 'verification-failed'
  | 'request-failed';

export class S3Error extends StepFailedError {
  readonly kind: S3ErrorKind;
  /** The S3 error code or the network error code, when there was one. */
  readonly code: string | undefined;
  constructor(kind: S3ErrorKind, message: string, hint: string, options: { code?: string; cause?: unknown } = {}) {
    super(redact(message), redact(hint), options.cause);
    this.kind = kind;
    this.code = options.code;
  }
}

/** No answer from the endpoint: connection refused, DNS failure, timeout. */
export class BucketUnreachableError extends S3Error {
  constructor(message: string, hint: string, code?: string, cause?: unknown) {
    super('unreachable', message, hint, { code, cause });
  }
}

/** The endpoint refused the credentials (unknown key, bad signature, expired token, access denied) or none were found.
 * */
export class S3CredentialsError extends S3Error {
  constructor(message: string, hint: string, code?: string, cause?: unknown) {
    super('credentials', message, hint, { code, cause });
  }
}

export class NoSuchBucketError extends S3Error {
  constructor(message: string, hint: string, cause?: unknown) {
    super('no-such-bucket', message, hint, { code: 'NoSuchBucket', cause });
  }
}

export class S3ObjectNotFoundError extends S3Error {
  readonly key: string;
  constructor(key: string, message: string, hint: string, cause?: unknown) {
    super('not-found', message, hint, { code: 'NoSuchKey', cause });
    this.key = key;
  }
}

export class RegionNotAllowedError extends S3Error {
  readonly region: string;
  readonly allowedRegions: readonly string[];
  constructor(region: string, allowedRegions: readonly string[], message: string, hint: string) {
    super('region-not-allowed', message, hint);
    this.region = region;
    this.allowedRegions = allowedRegions;
  }
}

/** The stored copy differs from what was expected (size, SHA-256 metadata, content hash). */
export class S3VerificationError extends S3Error {
  readonly field: 'size' | 'sha256-metadata' | 'content-sha256';
  readonly expected: string;
  readonly actual: string;
  constructor(field: S3VerificationError['field'], expected: string, actual: string, message: string, hint: string) {
    super('verification-failed', message, hint, { code: 'VerificationFailed' });
    this.field = field;
    this.expected = expected;
    this.actual = actual;
  }
}

export class S3RequestError extends S3Error {
  readonly status: number | undefined;
  constructor(message: string, hint: string, code: string | undefined, status: number | undefined, cause?: unknown) {
    super('request-failed', message, hint, { code, cause });
    this.status = status;
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidSecurity',
  'AccessDenied',
  'AllAccessDisabled',
  'AuthorizationHeaderMalformed',
  'Forbidden',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  BucketRegion?: string;
  Region?: string;
}

function shapeOf(error: unknown): SdkErrorShape {
  return (error && typeof error === 'object' ? error : { message: String(error) }) as SdkErrorShape;
}

/** The network error code of an SDK error (on the error or its cause), if it is one. */
function networkCode(e: SdkErrorShape): string | undefined {
  for (const candidate of [e, shapeOf(e.cause)]) {
    if (candidate.code && NETWORK_CODES.has(candidate.code)) return candidate.code;
    if (candidate.name === 'TimeoutError') return 'TIMEOUT';
  }
  return undefined;
}

/** The S3 error code of an SDK error: its name for service errors. */
export function s3ErrorCode(error: unknown): string | undefined {
  const e = shapeOf(error);
  if (e.$metadata?.httpStatusCode === undefined) return undefined;
  return e.name;
}

export function httpStatusOf(error: unknown): number | undefined {
  return shapeOf(error).$metadata?.httpStatusCode;
}

/** True for "the object or bucket is not there" answers (GetObject NoSuchKey, HeadObject 404 NotFound). */
export function isNotFound(error: unknown): boolean {
  const code = s3ErrorCode(error);
  return (
    code === 'NoSuchKey' ||
    code === 'NotFound' ||
    (code !== undefined && httpStatusOf(error) === 404 && code !== 'NoSuchBucket')
  );
}

export interface S3ErrorContext {
  /** What was being done, for the message: "upload", "read the bucket's location", … */
  operation: string;
  settings: S3Settings;
  /** Object name under the prefix, for object operations. */
  name?: string;
  /** A 404 on this operation means the bucket is missing (HeadBucket, ListObjects). */
  bucketLevel?: boolean;
}

/** Errors that never reached the bucket's answer: the network, or no credentials to sign with. */
function clientSideError(
  e: ReturnType<typeof shapeOf>,
  error: unknown,
  context: S3ErrorContext,
  endpoint: string,
  detail: string,
): Error | undefined {
  const { settings } = context;
  const network = networkCode(e);
  if (network !== undefined) {
    const what = network === 'TIMEOUT' ? 'did not answer in time' : `is unreachable (${network})`;
    return new BucketUnreachableError(
      `cannot ${context.operation}: the bucket ${settings.bucket} at ${endpoint} ${what}${detail}`,
      settings.endpoint
        ? 'check S3_ENDPOINT (scheme, host, port), that the server is running, and the ' +
            'network/firewall between here and it'
        : 'check the network connection to AWS (proxy, firewall, DNS) and S3_REGION',
      network,
      error,
    );
  }
  if (e.name === 'CredentialsProviderError') {
    return new S3CredentialsError(
      `cannot ${context.operation} (bucket ${settings.bucket}): no AWS credentials found${detail}`,
      'provide credentials through the AWS SDK chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ' +
        'AWS_PROFILE, or an instance role',
      e.name,
      error,
    );
  }
  return undefined;
}

/** Turns any error from the SDK into a typed error with a hint; abort errors and typed errors pass through. */
export function mapS3Error(error: unknown, context: S3ErrorContext): Error {
  if (isAbortError(error)) return error as Error;
  if (error instanceof S3Error) return error;
  const e = shapeOf(error);
  const { settings } = context;
  const where = describeLocation(settings, context.name);
  const endpoint = settings.endpoint ?? `AWS S3 (${settings.region})`;
  const status = e.$metadata?.httpStatusCode;
  const detail = e.message && e.message !== 'UnknownError' ? `: ${e.message}` : '';

  const local = clientSideError(e, error, context, endpoint, detail);
  if (local) return local;
  const code = status === undefined ? undefined : e.name;
  if (code === 'NoSuchBucket' || (context.bucketLevel && status === 404)) {
    return new NoSuchBucketError(
      `cannot ${context.operation}: bucket ${settings.bucket} does not ` +
        `exist${settings.endpoint ? ` at ${settings.endpoint}` : ''}`,
      'check S3_BUCKET (and S3_ENDPOINT / S3_FORCE_PATH_STYLE for an S3-compatible provider); the ' +
        'tool never creates the bucket',
      error,
    );
  }
  if (code !== undefined && (code === 'NoSuchKey' || (status === 404 && context.name !== undefined))) {
    return new S3ObjectNotFoundError(
      context.name ?? '',
      `cannot ${context.operation}: ${where} does not exist`,
      'list what the bucket holds with the retention runbook, or check S3_PREFIX',
      error,
    );
  }
  if (code !== undefined && (CREDENTIAL_CODES.has(code) || status === 403)) {
    return new S3CredentialsError(
      `cannot ${context.operation}: ${endpoint} refused the credentials for ` +
        `bucket ${settings.bucket} (${code === 'Unknown' ? `HTTP ${status}` : code})`,
      credentialHint(code),
      code,
      error,
    );
  }
  if (code === 'PermanentRedirect' || code === 'IllegalLocationConstraintException') {
    const region = e.BucketRegion ?? e.Region;
    return new S3RequestError(
      `cannot ${context.operation}: bucket ${settings.bucket} is not in ` +
        `region ${settings.region}${region ? ` (it is in ${region})` : ''}`,
      region ? `set S3_REGION=${region}` : 'set S3_REGION to the region of the bucket',
      code,
      status,
      error,
    );
  }
  return new S3RequestError(
    `cannot ${context.operation} (${where}): ${code ?? e.name ?? 'error'}${status ? ` HTTP ${status}` : ''}${detail}`,
    status !== undefined && status >= 500
      ? 'the storage provider failed; try again later, and check its status page'
      : 'check the S3_* settings; run with --verbose for the full error',
    code ?? e.code,
    status,
    error,
  );
}

function credentialHint(code: string): string {
  switch (code) {
    case 'InvalidAccessKeyId':
      return 'the access key id is unknown to this endpoint: check AWS_ACCESS_KEY_ID (or the profile in AWS_PROFILE)';
    case 'SignatureDoesNotMatch':
      return (
        'the secret key does not match the access key id: check AWS_SECRET_ACCESS_KEY (or the profile ' +
        'in AWS_PROFILE)'
      );
    case 'ExpiredToken':
    case 'TokenRefreshRequired':
    case 'InvalidToken':
      return (
        'the session token expired or is invalid: refresh the credentials (aws sso login, or a new ' +
        'AWS_SESSION_TOKEN)'
      );
    case 'AuthorizationHeaderMalformed':
      return 'the request was signed for the wrong region: check S3_REGION';
    default:
      return (
        'the credentials were refused or lack a permission on this bucket: check AWS_ACCESS_KEY_ID / ' +
        'AWS_PROFILE and the bucket policy'
      );
  }
}

/** The error to throw once `signal` has fired: its reason when that is an abort error, else an AbortError. */
export function abortErrorOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && isAbortError(reason)) return reason;
  const error = new Error('the operation was aborted', { cause: reason });
  error.name = 'AbortError';
  return error;
}

/** Runs one SDK call and maps its failure; once `signal` has fired, any failure is reported as the abort. */
export async function s3Call<T>(
  context: S3ErrorContext,
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (signal?.aborted) throw abortErrorOf(signal);
    throw mapS3Error(error, context);
  }
}
