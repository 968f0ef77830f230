/**
 * `reencrypt-secrets` of the sandbox auth-service on about 100,000 secrets: every run moves them all to the other
 * key (A → B, then B → A, …), so each run re-encrypts every value.
 */
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/package-root.js';
import type { BenchContext } from '../context.js';
import { assertSucceeded, runMeasured } from '../measure.js';
import { median, round } from '../stats.js';
import { baseEnv } from '../tool.js';
import type { BenchResult } from '../types.js';

const DONE_LINE = /done: (\d+) of (\d+) value\(s\) re-encrypted .* in ([\d.]+) s/;

export async function measureReencrypt(ctx: BenchContext): Promise<BenchResult['reencrypt']> {
  const secrets = ctx.dbs.secrets;
  if (!secrets) return { notMeasured: 'the secrets database was not built' };
  const bin = join(PACKAGE_ROOT, 'bin', 'obexal-sandbox-auth-service');
  const wall: number[] = [];
  const inside: number[] = [];
  let count = 0;
  for (let i = 1; i <= ctx.options.repetitions; i++) {
    const [from, to] = i % 2 === 1 ? [secrets.keyA, secrets.keyB] : [secrets.keyB, secrets.keyA];
    const run = await runMeasured({
      file: process.execPath,
      args: [bin, 'reencrypt-secrets'],
      env: { ...baseEnv(), DATABASE_URL: secrets.url, ENCRYPTION_KEY: to, ENCRYPTION_KEY_OLD: from },
    });
    assertSucceeded(run, 'obexal-sandbox-auth-service reencrypt-secrets');
    const done = DONE_LINE.exec(`${run.stdout}\n${run.stderr}`);
    if (!done) throw new Error('reencrypt-secrets printed no "done: …" line');
    count = Number(done[1]);
    wall.push(round(run.seconds, 3));
    inside.push(Number(done[3]));
    ctx.say(`  reencrypt-secrets #${i}: ${count} values in ${run.seconds.toFixed(1)} s (${done[3]} s inside)`);
  }
  const seconds = median(wall);
  return {
    secrets: count,
    seconds,
    samples: wall,
    secretsPerSecond: round(count / seconds, 0),
    toolSeconds: median(inside),
  };
}
