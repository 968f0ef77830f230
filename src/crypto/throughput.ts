/**
 * Throughput of the age streams on this machine, for the benchmark: N MiB of random plaintext through
 * encryption, then the ciphertext through decryption, all in memory (MB = 10^6 bytes).
 */
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AgeDecryptStream } from './age-decrypt.js';
import { AgeEncryptStream } from './age-encrypt.js';
import { generateAgeIdentity } from './age-keys.js';

export interface AgeThroughput {
  mebibytes: number;
  encryptSeconds: number;
  decryptSeconds: number;
  encryptMBps: number;
  decryptMBps: number;
}

const PIECE = 1024 * 1024;

function* slices(source: Buffer, total: number): Generator<Buffer> {
  for (let offset = 0; offset < total; offset += PIECE) {
    const start = offset % source.length;
    yield source.subarray(start, start + Math.min(PIECE, total - offset));
  }
}

function collect(into: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      into.push(chunk);
      callback();
    },
  });
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

async function timed(run: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Encrypts then decrypts `mebibytes` MiB (the ciphertext is kept in memory for the decryption run). */
export async function measureAgeThroughput(mebibytes = 64): Promise<AgeThroughput> {
  const identity = await generateAgeIdentity();
  const total = mebibytes * 1024 * 1024;
  const source = randomBytes(Math.min(total, 16 * PIECE));
  const ciphertext: Buffer[] = [];
  const encryptSeconds = await timed(() =>
    pipeline(Readable.from(slices(source, total)), new AgeEncryptStream([identity.recipient]), collect(ciphertext)),
  );
  const decryptSeconds = await timed(() =>
    pipeline(Readable.from(ciphertext), new AgeDecryptStream([identity]), discard()),
  );
  return {
    mebibytes,
    encryptSeconds,
    decryptSeconds,
    encryptMBps: total / 1e6 / encryptSeconds,
    decryptMBps: total / 1e6 / decryptSeconds,
  };
}
