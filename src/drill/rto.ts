/**
 * The drill's measured figures, from what its steps left: the RTO (from the drill's start to the moment its
 * last check passed), the RTO target and whether it was met, the dump and its age when restored (the RPO of that
 * moment), the key era. Pure: `drill.rto` feeds it the steps' data and puts the result in the record.
 */
import { formatDuration } from '../core/format.js';
import { dig } from '../core/dig.js';

export interface CheckState {
  /** The step id. */
  id: string;
  outcome: string;
  data: Record<string, unknown>;
}

export interface DrillSummaryInput {
  startedAt: string;
  checks: CheckState[];
  targetText: string;
  targetMs: number;
  /** restore.verify's `dump` (a VerifiedDump), when it ran. */
  dump?: Record<string, unknown> | undefined;
  /** When the restore finished (its step's data), else undefined. */
  restoredAt?: string | undefined;
  keyEra?: Record<string, unknown> | undefined;
  reencrypt?: { outcome: string; data: Record<string, unknown> } | undefined;
}

export interface RtoFigures {
  ms: number | null;
  text: string | null;
  startedAt: string;
  lastCheckPassedAt: string | null;
  target: string;
  targetMs: number;
  /** null when the RTO was not reached (a check did not pass). */
  met: boolean | null;
  /** What the earlier drills predicted for this one (drill.history), when there were any. */
  expectedMs?: number | null;
}

export interface DrillSummary {
  rto: RtoFigures;
  checks: Record<string, { step: string; passed: boolean; outcome: string; reason: string; at: string | null }>;
  failedChecks: string[];
  dump: Record<string, unknown> | null;
  keyEra: Record<string, unknown> | null;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export function summarizeDrill(input: DrillSummaryInput): DrillSummary {
  const checks: DrillSummary['checks'] = {};
  const failedChecks: string[] = [];
  let last: number | undefined;
  for (const check of input.checks) {
    const name = str(check.data.check) ?? check.id;
    const passed = check.outcome === 'ok' && check.data.passed === true;
    const at = str(check.data.at) ?? null;
    checks[name] = {
      step: check.id,
      passed,
      outcome: check.outcome,
      reason: str(check.data.reason) ?? (check.outcome === 'not-run' ? 'did not run' : check.outcome),
      at,
    };
    if (!passed) failedChecks.push(name);
    else if (at) last = Math.max(last ?? 0, Date.parse(at));
  }
  const reached = failedChecks.length === 0 && input.checks.length > 0 && last !== undefined;
  const ms = reached ? Math.max(0, (last as number) - Date.parse(input.startedAt)) : null;
  const rto: RtoFigures = {
    ms,
    text: ms === null ? null : formatDuration(ms),
    startedAt: input.startedAt,
    lastCheckPassedAt: reached ? new Date(last as number).toISOString() : null,
    target: input.targetText,
    targetMs: input.targetMs,
    met: ms === null ? null : ms <= input.targetMs,
  };

  let dump: Record<string, unknown> | null = null;
  if (input.dump) {
    const takenAt = str(input.dump.takenAt);
    const restoredAt = input.restoredAt ?? null;
    const age = takenAt && restoredAt ? Date.parse(restoredAt) - Date.parse(takenAt) : null;
    dump = {
      name: str(input.dump.name) ?? null,
      origin: str(input.dump.origin) ?? null,
      sha256: str(dig(input.dump, 'manifest', 'dump', 'sha256')) ?? null,
      plaintextSha256: str(input.dump.plaintextSha256) ?? null,
      reason: str(dig(input.dump, 'manifest', 'reason')) ?? null,
      takenAt: takenAt ?? null,
      restoredAt,
      ageAtRestoreMs: age,
      ageAtRestore: age === null ? null : formatDuration(age),
    };
  }
  let keyEra: Record<string, unknown> | null = null;
  if (input.keyEra) {
    keyEra = {
      dump: input.keyEra.dumpEra ?? null,
      current: input.keyEra.currentEra ?? null,
      needsReencrypt: input.keyEra.needsReencrypt === true,
      keys: input.keyEra.keys ?? [],
      reencryptSecrets: input.reencrypt ? input.reencrypt.outcome : 'not-run',
    };
  }
  return { rto, checks, failedChecks, dump, keyEra };
}
