/**
 * drill.rto: the measured RTO, the RPO of the dump and the key era, into the record (`details.drill`).
 * drill.verdict: the last step; when every check passed but the RTO missed RTO_TARGET it fails with exit
 * code 5 (DESIGN §3), after the teardown has run.
 */
import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';
import { formatDuration } from '../../core/format.js';
import { ThresholdMissedError } from '../../core/errors.js';
import { defineAction } from '../../engine/action.js';

const stepId = z.string().regex(/^[a-z][a-z0-9-]*$/);
const DEFAULT_CHECKS = ['check-jwks', 'check-login', 'check-mfa', 'check-me'];

export const drillRtoAction = defineAction({
  name: 'drill.rto',
  description: 'measure the RTO (drill start to last check passed) and the RPO of the dump; put them in the record',
  params: z
    .object({
      start: stepId.default('preflight'),
      checks: z.array(stepId).min(1).default(DEFAULT_CHECKS),
      dump: stepId.default('verify'),
      restore: stepId.default('restore'),
      keyEra: stepId.default('key-era'),
      reencrypt: stepId.default('reencrypt'),
      history: stepId.default('history'),
      target: z.string().optional(),
    })
    .strict(),
  describe: (p, ctx) =>
    `measure the RTO from the start of ${p.start ?? 'preflight'} to the last ` +
    `of ${(p.checks ?? DEFAULT_CHECKS).join(', ')} passed, against ` +
    `RTO_TARGET ${p.target ?? ctx.settings?.get('RTO_TARGET') ?? '30m'}`,
  async run(params, ctx) {
    const { summarizeDrill } = await import('../rto.js');
    const targetText = params.target ?? ctx.settings?.get('RTO_TARGET') ?? '30m';
    const targetMs = parseDuration(targetText, 'RTO_TARGET');
    const startedAt = ctx.steps[params.start]?.data.startedAt;
    if (typeof startedAt !== 'string')
      throw new Error(`the step ${params.start} left no start time: the RTO cannot be measured`);
    const dumpData = ctx.steps[params.dump]?.data.dump;
    const restoreData = ctx.steps[params.restore]?.data ?? {};
    const restoredAt = typeof restoreData.restoredAt === 'string' ? restoreData.restoredAt : undefined;
    const reencrypt = ctx.steps[params.reencrypt];
    const summary = summarizeDrill({
      startedAt,
      checks: params.checks.map((id) => ({
        id,
        outcome: ctx.steps[id]?.outcome ?? 'not-run',
        data: ctx.steps[id]?.data ?? {},
      })),
      targetText,
      targetMs,
      dump: dumpData && typeof dumpData === 'object' ? (dumpData as Record<string, unknown>) : undefined,
      restoredAt,
      keyEra: ctx.steps[params.keyEra]?.data,
      reencrypt: reencrypt ? { outcome: reencrypt.outcome, data: reencrypt.data } : undefined,
    });
    const { rto } = summary;
    // What the earlier drills let the operator expect (drill.history), beside what this one measured.
    const earlier = ctx.steps[params.history]?.data.drillHistory as
      { expectedNextMs?: unknown; measured?: unknown } | undefined;
    const expectedMs = typeof earlier?.expectedNextMs === 'number' ? earlier.expectedNextMs : null;
    summary.rto.expectedMs = expectedMs;
    const expected =
      expectedMs === null
        ? ''
        : `, expected ~${formatDuration(expectedMs)} from ${String(earlier?.measured)} earlier drill(s)`;
    if (summary.dump?.ageAtRestore)
      ctx.output(
        `dump ${String(summary.dump.name)}: ${String(summary.dump.ageAtRestore)} old when restored ` +
          `(RPO of this moment)`,
      );
    const message =
      rto.ms === null
        ? `RTO not reached: ${summary.failedChecks.length} check(s) did not pass (${summary.failedChecks.join(', ')})`
        : `RTO ${rto.text} ` + `(target ${targetText}: ${rto.met ? 'met' : 'MISSED'})${expected}`;
    ctx.output(message, rto.met === false ? 'warn' : 'info');
    return { message, data: { rto, failedChecks: summary.failedChecks, record: { drill: summary } } };
  },
});

export const drillVerdictAction = defineAction({
  name: 'drill.verdict',
  description: 'the drill passed its checks: fail with exit code 5 when the RTO missed its target',
  params: z
    .object({
      rto: z
        .string()
        .regex(/^[a-z][a-z0-9-]*$/)
        .default('rto'),
    })
    .strict(),
  describe: () => 'exit 5 when every check passed but the RTO missed RTO_TARGET',
  async run(params, ctx) {
    const rto = ctx.steps[params.rto]?.data.rto as
      { ms: number | null; met: boolean | null; target: string; targetMs: number } | undefined;
    if (!rto || rto.ms === null)
      return { outcome: 'skipped', message: 'no RTO to judge (the checks did not all pass)' };
    if (rto.met === false) {
      throw new ThresholdMissedError(
        `the drill passed its checks but its RTO ${formatDuration(rto.ms)} missed RTO_TARGET ${rto.target}`,
        'look at the per-step timings in the record: the slowest step is where a real recovery ' +
          'would lose its time (restore jobs, download, the service start)',
      );
    }
    return { message: `RTO ${formatDuration(rto.ms)} within RTO_TARGET ${rto.target}` };
  },
});
