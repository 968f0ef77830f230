/**
 * The dump's upload to the bucket while pg_dump runs (issue 14): the dump step starts it as soon as the partial
 * file exists, the bucket.replicate step waits for it and reports it, then checks the copy and uploads whatever
 * the bucket still lacks the usual way. So a bucket that fails during the dump costs nothing: the local dump is
 * written and verified as before, and the replicate step uploads it again (or fails saying the dump is kept).
 *
 * Not started on a bucket with Object Lock (the interim version the metadata copy leaves would stay locked: the
 * dump is uploaded after it is written, with its retention, as before). One upload per dump, in this process only:
 * a run resumed after a crash has none, and its replicate step uploads the dump as before.
 */
import { basename } from 'node:path';
import { messageOf } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import { closeS3, openS3, type S3Context } from '../s3/client.js';
import { startGrowingUpload, UploadNotStarted, type GrowingUpload } from '../s3/growing-upload.js';
import { readObjectLock } from '../s3/inspect.js';
import { registerAwsSecrets } from '../s3/settings.js';
import type { UploadResult } from '../s3/upload.js';
import { verifyObjectContent } from '../s3/verify.js';
import { PARTIAL_SUFFIX } from './manifest.js';

export type DumpUploadOutcome =
  /** `readBack`: the copy was read back in full right after the upload and matched. */
  | { name: string; uploaded: UploadResult; readBack: boolean }
  | { name: string; failed: string }
  | { name: string; notStarted: string };

/** Uploads begun during a dump of this process, until a replicate step takes them. */
const begun = new Map<string, Promise<DumpUploadOutcome>>();

export interface DumpUpload {
  /** The partial file exists: the upload starts reading it. */
  start(partialPath: string): void;
  finish(file: { size: number; sha256: string }): void;
  cancel(reason: string): void;
  /** Set once the upload has ended (a failure the dump step can report at once). */
  ended?: DumpUploadOutcome;
}

/** Whether the bucket takes the dump while it is written; decided while pg_dump starts. */
async function lockAllows(context: S3Context, signal: AbortSignal): Promise<void> {
  const lock = await readObjectLock(context, { signal });
  if (lock.status === 'enabled')
    throw new UploadNotStarted('the bucket has Object Lock: the dump is uploaded after it is written');
}

/**
 * The copy read back in full as soon as it is complete, while the manifest is written: the check the replicate
 * step makes of the newest dump (a failure here is left to it: it reads again, and uploads again on a mismatch).
 */
function readBack(context: S3Context, uploaded: UploadResult, signal: AbortSignal): Promise<boolean> {
  const expected = { size: uploaded.size, sha256: uploaded.sha256 };
  return verifyObjectContent(context, uploaded.name, expected, { signal }).then(
    () => true,
    () => false,
  );
}

/** The dump's upload, or undefined without a bucket. */
export function prepareDumpUpload(ctx: ActionContext): DumpUpload | undefined {
  registerAwsSecrets(ctx.settings.env);
  const settings = ctx.config.bucket;
  if (!settings) return undefined;
  const context = openS3(settings);
  const stop = new AbortController(); // the run's end stops the upload and its read-back
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const ready = lockAllows(context, signal);
  ready.catch(() => undefined); // awaited by the upload, which reports it
  let upload: GrowingUpload | undefined;
  let name: string | undefined;
  let outcome: Promise<DumpUploadOutcome> | undefined;
  const handle: DumpUpload = {
    start(partialPath) {
      const object = basename(partialPath).slice(0, -PARTIAL_SUFFIX.length);
      name = object;
      upload = startGrowingUpload(context, { path: partialPath, name: object, signal, ready });
      outcome = upload.done.then(
        async (uploaded): Promise<DumpUploadOutcome> => ({
          name: object,
          uploaded,
          readBack: await readBack(context, uploaded, signal),
        }),
        (error: unknown): DumpUploadOutcome =>
          error instanceof UploadNotStarted
            ? { name: object, notStarted: error.message }
            : { name: object, failed: messageOf(error) },
      );
      void outcome.then((ended) => {
        handle.ended = ended;
        closeS3(context);
      });
      begun.set(object, outcome);
    },
    finish: (file) => upload?.finish(file),
    cancel(reason) {
      // A dump that failed leaves no file to replicate: its upload is not reported as a failure of its own.
      if (name !== undefined) begun.delete(name);
      upload?.cancel(reason);
    },
  };
  ctx.onCleanup(async () => {
    upload?.cancel('the run ended before the upload did');
    stop.abort();
    if (outcome)
      await outcome; // never rejects; reported by the step that waited for it (closes the client)
    else closeS3(context);
  }, 'stop the upload begun during the dump');
  return handle;
}

/** Waits for every upload begun during a dump of this process and hands their outcomes over (once). */
export async function takeDumpUploads(): Promise<DumpUploadOutcome[]> {
  const outcomes = await Promise.all(begun.values());
  begun.clear();
  return outcomes;
}
