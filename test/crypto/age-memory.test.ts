/**
 * Memory stays bounded while streaming: 200 MB through encrypt -> decrypt in one pipeline, with the peak
 * resident memory growth measured along the way (memory, not time). Also the throughput helper's contract.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AgeDecryptStream } from '../../src/crypto/age-decrypt.js';
import { AgeEncryptStream } from '../../src/crypto/age-encrypt.js';
import { generateAgeIdentity } from '../../src/crypto/age-keys.js';
import { measureAgeThroughput } from '../../src/crypto/throughput.js';

const TOTAL = 200 * 1000 * 1000;
const RSS_LIMIT = 64 * 1024 * 1024;
/** Live memory (JavaScript heap and Buffers) after a full collection: what the streams really hold. */
const LIVE_LIMIT = 8 * 1024 * 1024;
const SAMPLE_EVERY = 8 * 1000 * 1000;

// A full collection before each sample, so that garbage not yet collected does not count as growth.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
// Twice: Buffers freed by the first pass may still be counted until their memory is swept.
const collectGarbage = (): void => {
  gc();
  gc();
};

function live(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('age streams in bounded memory', () => {
  it(`streams ${TOTAL / 1e6} MB through encrypt -> decrypt with peak memory growth under 64 MiB`, async (t) => {
    const identity = await generateAgeIdentity();
    const block = randomBytes(1024 * 1024 + 17); // odd size: pieces never align with chunks
    const inputHash = createHash('sha256');
    const outputHash = createHash('sha256');
    let produced = 0;
    let consumed = 0;
    const source = new Readable({
      read() {
        if (produced >= TOTAL) {
          this.push(null);
          return;
        }
        const piece = block.subarray(0, Math.min(block.length, TOTAL - produced));
        produced += piece.length;
        inputHash.update(piece);
        this.push(piece);
      },
    });
    collectGarbage();
    const baseline = { rss: process.memoryUsage().rss, live: live() };
    const peak = { ...baseline };
    let nextSample = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        consumed += chunk.length;
        outputHash.update(chunk);
        if (consumed >= nextSample) {
          nextSample += SAMPLE_EVERY;
          collectGarbage();
          peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
          peak.live = Math.max(peak.live, live());
        }
        callback();
      },
    });
    await pipeline(source, new AgeEncryptStream([identity.recipient]), new AgeDecryptStream([identity]), sink);
    assert.equal(consumed, TOTAL);
    assert.equal(outputHash.digest('hex'), inputHash.digest('hex'));
    const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    t.diagnostic(
      `peak growth: RSS ${mib(peak.rss - baseline.rss)}, live heap + buffers ${mib(peak.live - baseline.live)}`,
    );
    assert.ok(nextSample > 20 * SAMPLE_EVERY, 'memory was sampled all along');
    assert.ok(peak.rss - baseline.rss < RSS_LIMIT, `RSS grew by ${mib(peak.rss - baseline.rss)}`);
    assert.ok(peak.live - baseline.live < LIVE_LIMIT, `live memory grew by ${mib(peak.live - baseline.live)}`);
  });

  it('measureAgeThroughput encrypts and decrypts the amount asked and reports MB/s', async (t) => {
    const result = await measureAgeThroughput(8);
    assert.equal(result.mebibytes, 8);
    assert.ok(result.encryptMBps > 0 && Number.isFinite(result.encryptMBps));
    assert.ok(result.decryptMBps > 0 && Number.isFinite(result.decryptMBps));
    t.diagnostic(
      `age throughput (8 MiB): encrypt ${result.encryptMBps.toFixed(0)} MB/s, decrypt ${result.decryptMBps.toFixed(0)} MB/s`,
    );
  });
});
