/** The age encryption on its own (the tool's streams, in memory), so that it is never the bottleneck. */
import { measureAgeThroughput } from '../../src/crypto/throughput.js';
import type { BenchContext } from '../context.js';
import { median, round } from '../stats.js';

export async function measureEncryption(ctx: BenchContext): Promise<Record<string, number>> {
  const encrypt: number[] = [];
  const decrypt: number[] = [];
  for (let i = 1; i <= ctx.options.repetitions; i++) {
    const result = await measureAgeThroughput(ctx.options.encryptionMiB);
    encrypt.push(round(result.encryptMBps, 0));
    decrypt.push(round(result.decryptMBps, 0));
    ctx.say(
      `  age ${ctx.options.encryptionMiB} MiB #${i}: encrypt ${result.encryptMBps.toFixed(0)} MB/s, decrypt ${result.decryptMBps.toFixed(0)} MB/s`,
    );
  }
  return { mebibytes: ctx.options.encryptionMiB, encryptMBps: median(encrypt), decryptMBps: median(decrypt) };
}
