/**
 * The drill headless (`drill --yes --answers F`): its RTO and the time of each step, from the signed record it
 * leaves (steps' durationMs, details.rto). The answers file ticks every checklist item of the drill runbook.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BUILTIN_RUNBOOKS_DIR } from '../../src/core/package-root.js';
import type { BenchContext, SizeTarget } from '../context.js';
import { assertSucceeded, type MeasuredRun } from '../measure.js';
import { median, round, summarize } from '../stats.js';
import { parseEvents, runTool } from '../tool.js';
import type { Measured } from '../types.js';
import { toolEnvFor } from './backup.js';

const DRILL_RUNBOOK = join(BUILTIN_RUNBOOKS_DIR, 'drill.yaml');

interface RunbookStep {
  id?: string;
  action?: string;
  with?: { items?: (string | { name?: string })[] };
}

/** `name: done` for every checklist item of the drill runbook (names as the checklist action makes them). */
async function answersFile(dir: string): Promise<string> {
  const runbook = parseYaml(await readFile(DRILL_RUNBOOK, 'utf8')) as { steps?: RunbookStep[] };
  const lines: string[] = [];
  for (const step of runbook.steps ?? []) {
    if (step.action !== 'checklist') continue;
    (step.with?.items ?? []).forEach((item, index) => {
      const name = typeof item === 'string' ? `${step.id}.${index + 1}` : item.name;
      if (name) lines.push(`${name}: done`);
    });
  }
  const file = join(dir, 'drill-answers.yaml');
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

interface DrillRecord {
  steps?: { id: string; durationMs?: number; outcome?: string }[];
  /** drill.rto merges `{ drill: summary }` into the record's details. */
  details?: { drill?: { rto?: { ms?: number | null } } };
}

export interface DrillOutcome {
  tool: Measured;
  rtoSeconds?: number;
  rtoSamples?: number[];
}

export async function measureDrill(ctx: BenchContext, target: SizeTarget): Promise<DrillOutcome> {
  if (!existsSync(DRILL_RUNBOOK)) return { tool: { notMeasured: 'runbooks/drill.yaml does not exist yet' } };
  const answers = await answersFile(ctx.dbs.workDir);
  const runs: MeasuredRun[] = [];
  const steps: Record<string, number>[] = [];
  const rtos: number[] = [];
  try {
    for (let i = 1; i <= ctx.options.repetitions; i++) {
      const run = await runTool(ctx.tool, ['drill', '--yes', '--json', '--answers', answers], toolEnvFor(ctx, target));
      assertSucceeded(run, 'obexal-runbook drill');
      const finished = parseEvents(run.stdout).find((e) => e.type === 'run-finished');
      const recordPath = typeof finished?.recordPath === 'string' ? finished.recordPath : undefined;
      if (!recordPath) throw new Error('the drill finished without a record path in its run-finished event');
      const record = JSON.parse(await readFile(recordPath, 'utf8')) as DrillRecord;
      const perStep: Record<string, number> = {};
      for (const step of record.steps ?? []) {
        if (step.durationMs !== undefined && step.outcome !== 'skipped' && step.outcome !== 'not-run')
          perStep[step.id] = step.durationMs / 1000;
      }
      const rtoMs = record.details?.drill?.rto?.ms;
      if (typeof rtoMs === 'number') rtos.push(round(rtoMs / 1000, 3));
      runs.push(run);
      steps.push(perStep);
      ctx.say(
        `  obexal-runbook drill #${i}: ${run.seconds.toFixed(1)} s, RTO ${typeof rtoMs === 'number' ? (rtoMs / 1000).toFixed(1) : '?'} s, tool RSS ${(run.memory.rootPeakBytes / 1e6).toFixed(0)} MB`,
      );
    }
  } catch (error) {
    const message = (error as Error).message;
    ctx.errors.push(`drill (${target.label}): ${message}`);
    ctx.say(`  obexal-runbook drill failed: ${message.split('\n')[0]}`);
    if (runs.length === 0) return { tool: { notMeasured: `the drill runbook failed: ${message.split('\n')[0]}` } };
  }
  const outcome: DrillOutcome = { tool: summarize(runs, { steps }) };
  if (rtos.length > 0) {
    outcome.rtoSeconds = median(rtos);
    outcome.rtoSamples = rtos;
  }
  return outcome;
}
