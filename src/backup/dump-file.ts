/**
 * Writes one dump: `pg_dump --format=custom` stdout → SHA-256 of the plaintext archive → zstd (by default) → age
 * encryption → SHA-256 and size of what is stored → `obexal-<stamp>.dump.zst.age.partial` (0600), in one
 * `stream.pipeline` (bounded memory).
 * On any failure (pg_dump's exit code, a signal, a full disk, an abort) the partial file is deleted; on success
 * it is fsynced, re-read and its SHA-256 checked, and only then renamed to its final name, so that a file with a
 * final name is always complete and verified. The password reaches pg_dump only through its environment.
 */
import { link, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { startProcess, type ProcessResult } from '../core/exec.js';
import { InterruptedError, RunbookError, StepFailedError, messageOf } from '../core/errors.js';
import { formatBytes } from '../core/format.js';
import { redact } from '../core/redact.js';
import { createAgeEncryptStream } from '../crypto/age-encrypt.js';
import type { AgeRecipient } from '../crypto/age-keys.js';
import { childEnvFor, type PgTarget } from '../pg/target.js';
import { HashingStream, sha256OfFile } from '../s3/hash.js';
import { compactUtc, dumpFileName, PARTIAL_SUFFIX } from './manifest.js';
import type { PgDumpProgram } from './pg-dump-program.js';
import type { DumpCompression } from '../core/backup-values.js';
import { createDumpCompressor } from '../core/zstd.js';

/** Every custom-format archive starts with these bytes. */
const CUSTOM_FORMAT_MAGIC = Buffer.from('PGDMP', 'latin1');

export interface DumpFileOptions {
  target: PgTarget;
  pgDump: PgDumpProgram;
  backupDir: string;
  compression: DumpCompression;
  /** Empty: no encryption (BACKUP_ENCRYPTION=none, explicit only). */
  recipients: readonly AgeRecipient[];
  /** A snapshot exported by the caller (`pg_export_snapshot()`), so that its row counts match the dump. */
  snapshot?: string;
  signal: AbortSignal;
  /** Each stderr line of pg_dump (already redacted). */
  onStderr?: (line: string) => void;
  /** The path of the partial file as soon as it exists (the caller registers a cleanup for it). */
  onPartial?: (path: string) => void;
  /** The environment pg_dump's PATH and HOME come from (default: ours). */
  fromEnv?: Record<string, string | undefined>;
}

export interface DumpFileResult {
  stamp: string;
  name: string;
  path: string;
  size: number;
  sha256: string;
  plaintextSize: number;
  plaintextSha256: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/** Remembers the first bytes that pass (to check the archive's magic) without holding more. */
class HeadCapture extends Transform {
  head = Buffer.alloc(0);
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.head.length < CUSTOM_FORMAT_MAGIC.length)
      this.head = Buffer.concat([this.head, chunk.subarray(0, CUSTOM_FORMAT_MAGIC.length - this.head.length)]);
    callback(null, chunk);
  }
}

/** Opens a new partial file under a stamp no other dump uses (waits for the next second on a collision). */
async function openPartial(
  backupDir: string,
  encrypted: boolean,
  zstd: boolean,
  signal: AbortSignal,
): Promise<{ stamp: string; name: string; partial: string; handle: FileHandle }> {
  for (let attempt = 0; ; attempt++) {
    const stamp = compactUtc(new Date());
    const name = dumpFileName(stamp, encrypted, zstd);
    const partial = join(backupDir, name + PARTIAL_SUFFIX);
    try {
      const handle = await open(partial, 'wx', 0o600);
      await handle.chmod(0o600);
      try {
        await open(join(backupDir, name), 'r').then((h) => h.close());
      } catch {
        return { stamp, name, partial, handle }; // no final file of that stamp either
      }
      await handle.close();
      await unlink(partial);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        throw new StepFailedError(
          `cannot create the dump file in BACKUP_DIR ${backupDir}: ${code ?? messageOf(error)}`,
          'check that BACKUP_DIR is writable by this user and that its disk is not full or read-only',
          error,
        );
      }
    }
    if (attempt > 5)
      throw new StepFailedError(
        `cannot find a free dump name in ${backupDir}`,
        'another backup is writing at the same time: wait and try again',
      );
    await sleep(1_000 - (Date.now() % 1_000) + 5, undefined, { signal });
  }
}

function pipelineFailure(error: unknown, written: number, backupDir: string): RunbookError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new StepFailedError(
      `the disk holding BACKUP_DIR ${backupDir} is full (${code}) after ${formatBytes(written)} of ` +
        `dump: the partial file was deleted, no dump of this run exists`,
      'free space on that disk (or point BACKUP_DIR at a larger one) and run the backup again; the ' +
        'earlier backups are untouched',
      error,
    );
  }
  if (error instanceof RunbookError) return error;
  return new StepFailedError(
    `writing the dump failed after ${formatBytes(written)}: ${redact(messageOf(error))}; the partial file was deleted`,
    'check the disk holding BACKUP_DIR and run the backup again; the earlier backups are untouched',
    error,
  );
}

function dumpFailure(result: PromiseSettledResult<ProcessResult>, label: string): RunbookError | undefined {
  if (result.status === 'rejected') {
    const error = result.reason as unknown;
    const message = redact(messageOf(error));
    return new StepFailedError(
      `${message}: the partial file was deleted, no dump of this run exists`,
      'run the backup again; if pg_dump keeps being killed, check the memory of this host (the ' +
        'kernel log names the OOM killer) and who sends it signals',
      error,
    );
  }
  if (result.value.exitCode !== 0) {
    const tail = result.value.stderrTail.filter((l) => !/dumping contents of table/.test(l)).slice(-6);
    return new StepFailedError(
      `${label} exited with code ${result.value.exitCode}: the partial file was deleted, no dump of ` +
        `this run exists${tail.length ? `\n  ${tail.join('\n  ')}` : ''}`,
      "read pg_dump's messages above (permissions on a table, a lost connection, a server shutting " +
        'down); the earlier backups are untouched',
    );
  }
  return undefined;
}

type SettledDump = PromiseSettledResult<ProcessResult>;

interface DumpStreams {
  plain: HashingStream;
  head: HeadCapture;
  stored: HashingStream;
  stages: (NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream)[];
}

/** Starts pg_dump with its stdout piped; `settled` never rejects (the outcome is judged after the pipeline). */
function startPgDump(
  options: DumpFileOptions,
  label: string,
  signal: AbortSignal,
): { child: ReturnType<typeof startProcess>['child']; settled: Promise<SettledDump> } {
  const { codec, level } = options.compression;
  const args = ['--format=custom', `--compress=${codec === 'gzip' ? level : 0}`, '--verbose', '--no-password'];
  if (options.snapshot) args.push(`--snapshot=${options.snapshot}`);
  const { child, done } = startProcess({
    file: options.pgDump.path,
    args,
    env: childEnvFor(options.target, options.fromEnv ?? process.env),
    signal,
    stdoutTo: 'pipe',
    label,
    onLine: (line, stream) => {
      if (stream === 'stderr') options.onStderr?.(redact(line));
    },
  });
  const settled = done.then(
    (value) => ({ status: 'fulfilled', value }) as const,
    (reason: unknown) => ({ status: 'rejected', reason }) as const,
  );
  return { child, settled };
}

/** head → plaintext hash → (zstd) → (age) → stored hash → the partial file. */
function dumpStreams(
  handle: FileHandle,
  recipients: readonly AgeRecipient[],
  compression: DumpCompression,
): DumpStreams {
  const plain = new HashingStream();
  const head = new HeadCapture();
  const stored = new HashingStream();
  const file = handle.createWriteStream(); // closes the handle when it finishes or is destroyed
  const stages: DumpStreams['stages'] = [head, plain];
  if (compression.codec === 'zstd') stages.push(createDumpCompressor(compression.level));
  if (recipients.length > 0) stages.push(createAgeEncryptStream(recipients));
  stages.push(stored, file);
  return { plain, head, stored, stages };
}

/** Throws what went wrong first: an interruption, the pipeline, pg_dump, or an output that is no archive. */
function judgeDump(
  signal: AbortSignal,
  pipelineError: unknown,
  processResult: SettledDump,
  streams: DumpStreams,
  label: string,
  backupDir: string,
): void {
  if (signal.aborted)
    throw signal.reason instanceof Error ? signal.reason : new InterruptedError('SIGINT', 'the dump was stopped');
  if (pipelineError !== undefined) throw pipelineFailure(pipelineError, streams.stored.bytes, backupDir);
  const failure = dumpFailure(processResult, label);
  if (failure) throw failure;
  if (streams.plain.bytes === 0 || !streams.head.head.equals(CUSTOM_FORMAT_MAGIC)) {
    throw new StepFailedError(
      `${label} exited 0 but ` +
        `wrote ${streams.plain.bytes === 0 ? 'nothing' : 'something that is not a custom-format archive'}: ` +
        `the partial file was deleted`,
      "check that the pg_dump on PATH is PostgreSQL's (`pg_dump --version`)",
    );
  }
}

/** Runs pg_dump into the partial file; `stop` aborts pg_dump when the pipeline fails. */
async function writeDump(
  options: DumpFileOptions,
  handle: FileHandle,
  both: AbortSignal,
  stop: AbortController,
): Promise<DumpStreams> {
  const label = `pg_dump of ${options.target.label}`;
  const { child, settled } = startPgDump(options, label, both);
  const streams = dumpStreams(handle, options.recipients, options.compression);
  if (!child.stdout) throw new StepFailedError('pg_dump started without a standard output', 'report this as a bug');

  let pipelineError: unknown;
  try {
    await pipeline(child.stdout, ...(streams.stages as [NodeJS.ReadWriteStream]), { signal: both });
  } catch (error) {
    pipelineError = error;
    stop.abort(); // pg_dump would otherwise block on (or die of) a pipe nobody reads
  }
  const processResult = await settled;
  judgeDump(options.signal, pipelineError, processResult, streams, label, options.backupDir);
  return streams;
}

/** Fsyncs the partial file, checks it against what was hashed, and links it to its final name. */
async function verifyAndLink(
  partial: string,
  finalPath: string,
  stored: HashingStream,
  signal: AbortSignal,
): Promise<string> {
  await fsyncFile(partial);
  // The local verification: what is on disk is exactly what went through the hash.
  const reread = await sha256OfFile(partial, { signal });
  const sha256 = stored.digest();
  if (reread.sha256 !== sha256 || reread.size !== stored.bytes) {
    throw new StepFailedError(
      `the dump file read back does not match what was written (${reread.size} bytes, ` +
        `SHA-256 ${reread.sha256}; expected ${stored.bytes} bytes, ${sha256}): it was deleted`,
      'the disk or file system holding BACKUP_DIR corrupts data: check it (dmesg, SMART) before ' +
        'trusting any backup on it',
    );
  }
  try {
    await link(partial, finalPath); // never replaces an existing dump, unlike rename
  } catch (error) {
    throw new StepFailedError(
      `cannot give the dump its final ` +
        `name ${finalPath}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}`,
      'check BACKUP_DIR',
      error,
    );
  }
  return sha256;
}

export async function dumpToFile(options: DumpFileOptions): Promise<DumpFileResult> {
  const { signal } = options;
  const encrypted = options.recipients.length > 0;
  const started = Date.now();
  const { stamp, name, partial, handle } = await openPartial(
    options.backupDir,
    encrypted,
    options.compression.codec === 'zstd',
    signal,
  );
  options.onPartial?.(partial);
  let handleOpen = true;
  let completed = false;
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  try {
    const { plain, stored } = await writeDump(options, handle, both, stop);
    handleOpen = false;
    const finalPath = join(options.backupDir, name);
    const sha256 = await verifyAndLink(partial, finalPath, stored, signal);
    completed = true;
    await unlink(partial).catch(() => undefined);
    await syncDir(options.backupDir);
    const finished = Date.now();
    return {
      stamp,
      name,
      path: finalPath,
      size: stored.bytes,
      sha256,
      plaintextSize: plain.bytes,
      plaintextSha256: plain.digest(),
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: finished - started,
    };
  } finally {
    if (!completed) stop.abort(); // never leave a pg_dump running behind a failure
    if (handleOpen) await handle.close().catch(() => undefined);
    if (!completed) await unlink(partial).catch(() => undefined);
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // some file systems refuse fsync on a folder; the file itself is synced
  }
}
