/** Shared by the age tests: private temp folders, the real age CLI, and stream plumbing. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AgeDecryptStream } from '../../src/crypto/age-decrypt.js';
import { AgeEncryptStream } from '../../src/crypto/age-encrypt.js';
import type { AgeIdentity, AgeRecipient } from '../../src/crypto/age-keys.js';

export const AGE = '/usr/bin/age';
export const AGE_KEYGEN = '/usr/bin/age-keygen';

export async function privateFolder(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'obexal-age-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function writePrivate(path: string, content: string | Buffer): Promise<string> {
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

/** Runs a program with a buffer on stdin; throws with its stderr when it fails. */
export function run(program: string, args: string[], input?: Buffer): Buffer {
  const result = spawnSync(program, args, { input, maxBuffer: 512 * 1024 * 1024 });
  // A program that stops reading early (age refusing the identity) breaks the pipe: judge it by its exit status.
  if (result.error && (result.error as NodeJS.ErrnoException).code !== 'EPIPE') throw result.error;
  if (result.status !== 0) throw new Error(`${program} ${args[0] ?? ''} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** An identity file made by the real age-keygen, and its recipient. */
export function ageKeygen(path: string): { path: string; recipient: string } {
  run(AGE_KEYGEN, ['-o', path]);
  return { path, recipient: run(AGE_KEYGEN, ['-y', path]).toString('utf8').trim() };
}

/** The data as a stream of pieces of `pieceSize` bytes (to exercise re-chunking). */
export function pieces(data: Buffer, pieceSize: number): Readable {
  const out: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += pieceSize) out.push(data.subarray(offset, offset + pieceSize));
  return Readable.from(out);
}

export function collector(): { sink: Writable; result: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { sink, result: () => Buffer.concat(chunks) };
}

export async function encryptBuffer(
  data: Buffer,
  recipients: readonly AgeRecipient[],
  pieceSize = 65536,
): Promise<Buffer> {
  const { sink, result } = collector();
  await pipeline(pieces(data, pieceSize), new AgeEncryptStream(recipients), sink);
  return result();
}

export async function decryptBuffer(
  data: Buffer,
  identities: readonly AgeIdentity[],
  pieceSize = 65536,
): Promise<Buffer> {
  const { sink, result } = collector();
  await pipeline(pieces(data, pieceSize), new AgeDecryptStream(identities), sink);
  return result();
}

/** Decrypts, and returns what was emitted before the failure along with the error. */
export async function decryptExpectingFailure(
  data: Buffer,
  identities: readonly AgeIdentity[],
  pieceSize = 65536,
): Promise<{ error: unknown; emitted: Buffer }> {
  const { sink, result } = collector();
  try {
    await pipeline(pieces(data, pieceSize), new AgeDecryptStream(identities), sink);
  } catch (error) {
    return { error, emitted: result() };
  }
  throw new Error('decryption succeeded but was expected to fail');
}

export const SIZES = [0, 1, 65535, 65536, 65537, 3 * 65536, 5_000_000];
